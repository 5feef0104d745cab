import pytest

from briefing.gather.feeds import FeedParseError, parse_feed

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Example &amp; Co Wire</title><link>https://wire.example/</link><language>en-gb</language>
<item><title>Ports &amp;amp; grids</title><link>https://wire.example/a</link><guid>wire-a</guid>
<pubDate>Tue, 11 Mar 2025 10:00:00 GMT</pubDate><description>Teaser only.</description>
<content:encoded><![CDATA[<p>Full text here.<script>alert(1)</script></p><p>Second paragraph.</p>]]></content:encoded>
</item>
<item><title>No date</title><link>https://wire.example/b</link><description>Just a teaser.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ledger</title><id>urn:ledger</id>
<entry><id>urn:e1</id><title type="html">&lt;b&gt;Chips&lt;/b&gt; plant</title>
<link rel="alternate" href="https://ledger.example/e1"/><updated>2025-03-10T08:00:00Z</updated>
<content type="html">&lt;p&gt;Body text.&lt;/p&gt;</content></entry></feed>"""


def test_rss_items_become_articles_with_the_full_body():
    first, second = parse_feed(RSS, origin="wire.rss", language="en").articles
    assert first.title == "Ports & grids"  # RSS titles are HTML: an escaped entity shows decoded
    assert first.text == "Full text here.\n\nSecond paragraph."
    assert first.source == "Example & Co Wire"
    assert first.language == "en-gb"
    assert first.published.isoformat() == "2025-03-11T10:00:00+00:00"
    assert second.published is None and second.text == "Just a teaser."


def test_ids_are_stable_and_distinct():
    once = [a.id for a in parse_feed(RSS, origin="x", language="en").articles]
    again = [a.id for a in parse_feed(RSS, origin="y", language="en").articles]
    assert once == again and len(set(once)) == 2


def test_atom_titles_lose_their_markup():
    (entry,) = parse_feed(ATOM, origin="ledger.atom", language="en", source="My name for it").articles
    assert entry.title == "Chips plant"
    assert entry.source == "My name for it"
    assert entry.url == "https://ledger.example/e1"


def test_a_body_that_is_a_path_is_never_opened(tmp_path):
    secret = tmp_path / "feed.xml"
    secret.write_bytes(RSS)
    with pytest.raises(FeedParseError):
        parse_feed(str(secret).encode(), origin="path", language="en")


def test_garbage_is_a_clear_error():
    with pytest.raises(FeedParseError, match="no items"):
        parse_feed(b"<html><body>not a feed</body></html>", origin="x", language="en")


def test_a_malformed_feed_that_still_has_items_is_read():
    broken = RSS.replace(b"</channel></rss>", b"<item><title>Unclosed</title>")
    feed = parse_feed(broken, origin="x", language="en")
    assert len(feed.articles) >= 2 and feed.malformed



@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-8", "application/rss+xml"])
def test_a_sound_feed_fetched_over_http_is_not_called_malformed_whatever_its_label(content_type):
    """Servers label feeds text/html, text/plain or nothing at all; the feed itself is fine."""
    feed = parse_feed(RSS, origin="x", language="en", base_url="https://wire.example/rss", content_type=content_type)
    assert len(feed.articles) == 2 and feed.malformed is None
    broken = RSS.replace(b"</channel></rss>", b"<item><title>Unclosed</title>")
    assert parse_feed(broken, origin="x", language="en", base_url="https://wire.example/rss",
                      content_type=content_type).malformed

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "Rose &amp; Co",
 "home_page_url": "https://rose.example/blog/", "language": "en-us",
 "items": [
  {"id": "1", "url": "/posts/one", "title": "First &amp; foremost",
   "content_html": "<p>Hello <b>world</b>.</p><script>x()</script>", "date_published": "2018-08-24T07:00:00+02:00"},
  {"id": "2", "content_text": "Plain text only.\\n\\nSecond paragraph."}
 ]}"""


def test_json_feed_items_become_articles():
    feed = parse_feed(JSON_FEED, origin="rose.json", language="en")
    first, second = feed.articles
    assert feed.title == "Rose & Co" and first.source == "Rose & Co"
    assert first.title == "First & foremost"
    assert first.text == "Hello world."
    assert first.url == "https://rose.example/posts/one"
    assert first.published.isoformat() == "2018-08-24T05:00:00+00:00"
    assert first.language == "en-us"
    assert second.published is None and second.url is None
    assert second.text == "Plain text only.\n\nSecond paragraph."
    assert second.title.startswith("Plain text only")


def test_json_that_is_not_a_json_feed_is_a_clear_error():
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b'{"rss": {"channel": {"item": []}}}', origin="x", language="en")


def test_gzip_compressed_feeds_are_read_and_bombs_refused(monkeypatch):
    import gzip

    from briefing.gather import feeds

    assert len(parse_feed(gzip.compress(RSS), origin="x", language="en").articles) == 2
    monkeypatch.setattr(feeds, "MAX_DECOMPRESSED_BYTES", 10_000)
    with pytest.raises(FeedParseError, match="more than"):
        parse_feed(gzip.compress(b" " * 100_000 + RSS), origin="x", language="en")


def test_relative_links_resolve_against_the_feed_address():
    relative = RSS.replace(b"https://wire.example/a", b"/news/a").replace(b"https://wire.example/b", b"b.html")
    first, second = parse_feed(relative, origin="x", language="en", base_url="https://feeds.example/wire/rss").articles
    assert first.url == "https://feeds.example/news/a"
    assert second.url == "https://feeds.example/wire/b.html"
    # Without the feed's address, the channel's home page link is the base.
    first, _ = parse_feed(relative, origin="x", language="en").articles
    assert first.url == "https://wire.example/news/a"
