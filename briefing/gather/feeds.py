"""Feed documents (RSS 0.9x/1.0/2.0, Atom) parsed from bytes into Articles; no I/O here."""

from __future__ import annotations

import calendar
import io
from datetime import datetime, timezone

import feedparser

from ..model import Article
from .html import headline_from_text, html_to_line, html_to_text
from .ids import stable_id


class FeedParseError(ValueError):
    """The document is not a feed, or is too broken to yield any item."""


def parse_feed(raw: bytes, *, origin: str, language: str, source: str | None = None) -> list[Article]:
    """Parse a feed body. A malformed feed that still yields items is accepted.

    The outlet shown for its articles is `source` when given, else the feed's own title.
    """
    # Always a file object: feedparser treats a bytes or str argument as a path or URL first.
    parsed = feedparser.parse(io.BytesIO(raw))
    if not parsed.entries:
        reason = parsed.get("bozo_exception") or "no items"
        raise FeedParseError(f"no items could be read ({reason})")
    feed_language = parsed.feed.get("language") or language
    source = source or html_to_line(parsed.feed.get("title", "")) or origin
    return [_entry_to_article(entry, source, origin, feed_language) for entry in parsed.entries]


def _entry_to_article(entry, source: str, origin: str, language: str) -> Article:
    text = html_to_text(_richest_body(entry))
    title = html_to_line(entry.get("title", "")) or headline_from_text(text)
    link = entry.get("link") or None
    identity = entry.get("id") or link or f"{title}\x1f{text}"
    return Article(
        id=stable_id(identity),
        title=title,
        text=text,
        source=source,
        url=link,
        published=_entry_time(entry),
        language=entry.get("language") or language,
        origin=origin,
    )


def _richest_body(entry) -> str:
    bodies = [c.get("value", "") for c in entry.get("content", [])]
    bodies.append(entry.get("summary", ""))
    return max(bodies, key=len)


def _entry_time(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    return None
