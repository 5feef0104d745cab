"""Feed documents parsed from bytes into Articles; no I/O here.

RSS 0.9x/1.0/2.0 and Atom go through feedparser; JSON Feed (which feedparser does not
read) through `_parse_json_feed`. A gzip-compressed body is decompressed first, within a
size cap, since some servers and saved files skip the Content-Encoding header.
"""

from __future__ import annotations

import calendar
import gzip
import io
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from urllib.parse import urljoin, urlsplit

import feedparser

from ..model import Article
from .html import headline_from_text, html_to_line, html_to_text
from .ids import stable_id

MAX_DECOMPRESSED_BYTES = 50_000_000
_GZIP_MAGIC = b"\x1f\x8b"
_JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"


class FeedParseError(ValueError):
    """The document is not a feed, or is too broken to yield any item."""


@dataclass(frozen=True)
class Feed:
    articles: tuple[Article, ...]
    title: str
    malformed: str | None = None  # what was wrong, when a broken feed still yielded items


def parse_feed(
    raw: bytes, *, origin: str, language: str, source: str | None = None, base_url: str | None = None,
    content_type: str | None = None,
) -> Feed:
    """Parse a feed body. A malformed feed that still yields items is accepted and says so.

    The outlet shown for its articles is `source` when given, else the feed's own title.
    Relative links resolve against `base_url` (the address the feed came from), else the
    feed's own home page link. `content_type` is the server's label for the body, if any.
    """
    raw = _decompressed(raw)
    if _looks_like_json(raw):
        return _parse_json_feed(raw, origin=origin, language=language, source=source, base_url=base_url)
    headers = {"content-location": base_url} if base_url else {}
    if content_type:
        headers["content-type"] = content_type
    # Always a file object: feedparser treats a bytes or str argument as a path or URL first.
    parsed = feedparser.parse(io.BytesIO(raw), response_headers=headers)
    if not parsed.entries:
        if parsed.get("version"):
            raise FeedParseError(f"the feed ({parsed.version}) has no items at the moment")
        reason = parsed.get("bozo_exception") or "not RSS or Atom"
        raise FeedParseError(f"no items could be read ({reason}); check the address gives an RSS, Atom or JSON feed")
    feed_language = parsed.feed.get("language") or language
    title = html_to_line(parsed.feed.get("title", ""))
    home = _absolute(parsed.feed.get("link"), base_url)
    outlet = source or title or origin
    articles = tuple(_entry_to_article(e, outlet, origin, feed_language, base_url or home) for e in parsed.entries)
    # A feed served as text/html or with no Content-Type at all is common and harmless when it parses.
    mislabelled = isinstance(parsed.get("bozo_exception"), feedparser.NonXMLContentType)
    malformed = str(parsed.get("bozo_exception")) if parsed.get("bozo") and not mislabelled else None
    return Feed(articles, title, malformed)


def _decompressed(raw: bytes) -> bytes:
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read(MAX_DECOMPRESSED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedParseError(f"gzip-compressed but cannot be decompressed ({exc})") from exc
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise FeedParseError(f"decompresses to more than {MAX_DECOMPRESSED_BYTES // 1_000_000} MB; refused")
    return data


def _entry_to_article(entry, source: str, origin: str, language: str, base: str | None) -> Article:
    text = html_to_text(_richest_body(entry))
    title = html_to_line(entry.get("title", "")) or headline_from_text(text)
    link = _absolute(entry.get("link"), base)
    return Article(
        id=_identity(entry.get("id"), link, title, text),
        title=title,
        text=text,
        source=source,
        url=link,
        published=_entry_time(entry),
        language=entry.get("language") or language,
        origin=origin,
    )


def _identity(guid: str | None, link: str | None, title: str, text: str) -> str:
    """guid, else canonical link, else a hash of the content."""
    return stable_id(guid or link or f"{title}\x1f{text}")


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    if urlsplit(link).scheme:
        return link
    return urljoin(base, link) if base else link


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


# JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)

def _looks_like_json(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _parse_json_feed(raw: bytes, *, origin: str, language: str, source: str | None, base_url: str | None) -> Feed:
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedParseError(f"looks like JSON but is not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(_JSON_FEED_VERSION_PREFIX):
        raise FeedParseError(
            "JSON, but not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\"); "
            "give the address of the site's RSS or Atom feed instead"
        )
    items = [item for item in document.get("items") or [] if isinstance(item, dict)]
    if not items:
        raise FeedParseError("the JSON Feed has no items at the moment")
    title = html_to_line(str(document.get("title") or ""))
    base = base_url or _string(document.get("feed_url")) or _string(document.get("home_page_url"))
    feed_language = _string(document.get("language")) or language
    outlet = source or title or origin
    articles = tuple(_json_item_to_article(item, outlet, origin, feed_language, base) for item in items)
    return Feed(articles, title)


def _json_item_to_article(item: dict, source: str, origin: str, language: str, base: str | None) -> Article:
    body = _string(item.get("content_html")) or _escape_text(_string(item.get("content_text"))) \
        or _string(item.get("summary")) or ""
    text = html_to_text(body)
    title = html_to_line(_string(item.get("title")) or "") or headline_from_text(text)
    link = _absolute(_string(item.get("url")) or _string(item.get("external_url")), base)
    guid = item.get("id")
    return Article(
        id=_identity(str(guid) if guid not in (None, "") else None, link, title, text),
        title=title,
        text=text,
        source=source,
        url=link,
        published=_rfc3339(item.get("date_published")) or _rfc3339(item.get("date_modified")),
        language=_string(item.get("language")) or language,
        origin=origin,
    )


def _escape_text(text: str | None) -> str | None:
    if not text:
        return None
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
