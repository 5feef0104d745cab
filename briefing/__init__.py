"""briefing: an automated daily news briefing, from feeds and files to HTML and PDF."""

__version__ = "0.1.0"
