"""Untrusted HTML from feeds and pages: sanitised by nh3 first, then reduced to plain paragraphs."""

from __future__ import annotations

import re

import lxml.html
import nh3

_BLOCKS = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
           "pre", "tr", "figcaption", "section", "article", "dd", "dt"}
_INLINE = {"a", "em", "strong", "b", "i", "u", "span", "code", "sub", "sup", "small",
           "ul", "ol", "table", "tbody", "thead", "td", "th", "dl", "br", "abbr", "cite", "q"}
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def sanitise_html(html: str) -> str:
    """Keep only harmless structural markup: no scripts, styles, attributes, images or URLs."""
    return nh3.clean(html, tags=_BLOCKS | _INLINE, attributes={}, url_schemes=set(), strip_comments=True)


def html_to_text(html: str) -> str:
    """Sanitise HTML and return its text as paragraphs separated by blank lines."""
    clean = sanitise_html(html)
    if not clean.strip():
        return ""
    root = lxml.html.fragment_fromstring(clean, create_parent="div")
    for element in root.iter():
        if element.tag in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
        elif element.tag == "br":
            element.tail = "\n\n" + (element.tail or "")
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(root.text_content()))
    return "\n\n".join(p for p in paragraphs if p)


def headline_from_text(text: str, count: int = 12) -> str:
    """A stand-in headline for an article that has none: its first words."""
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def html_to_line(html: str) -> str:
    """A title or name: markup and entities resolved, whitespace folded to one line."""
    return " ".join(html_to_text(html).split())
