"""robots.txt for article pages: the operator subscribed to a feed, not to the pages it links to.

A site's rules are read with the standard library's parser and applied as RFC 9309 says: a
robots.txt that answers 4xx means no rules (everything may be fetched); one that answers 5xx
or 429, or cannot be reached at all, means nothing may be fetched until it can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from .fetch import FetchResult


@dataclass(frozen=True)
class SiteRules:
    """What one site's robots.txt allows; `unreadable` says why it could not be read (nothing is allowed then)."""

    robots_url: str
    parser: RobotFileParser | None
    unreadable: str | None = None

    def allows(self, url: str, user_agent: str) -> bool:
        if self.unreadable is not None:
            return False
        return self.parser is None or self.parser.can_fetch(user_agent, url)


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def site_rules(robots: str, result: FetchResult) -> SiteRules:
    """The rules in the answer to a request for `robots` (a robots.txt URL)."""
    if result.ok:
        parser = RobotFileParser(robots)
        parser.parse(result.body.decode("utf-8", "replace").splitlines())
        return SiteRules(robots, parser)
    if result.status is not None and 400 <= result.status < 500 and result.status != 429:
        return SiteRules(robots, None)
    return SiteRules(robots, None, unreadable=result.error or f"HTTP {result.status}")
