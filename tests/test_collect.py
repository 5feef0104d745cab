"""Collecting from a real HTTP server on 127.0.0.1 that serves the corpus feeds and pages."""

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from briefing.collect import collect, expand_sources
from briefing.config import load_config
from briefing.pipeline import run
from briefing.state import open_store

from .httpserver import LocalServer, Reply
from .support import SHARED_CORPUS, run_cli, write_config

FEEDS = SHARED_CORPUS / "feeds"
PAGES = SHARED_CORPUS / "pages" / "article-extraction-benchmark"
needs_corpus = pytest.mark.skipif(not FEEDS.is_dir(), reason=f"the shared corpus is not at {FEEDS}")

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def server():
    with LocalServer(root=SHARED_CORPUS if SHARED_CORPUS.is_dir() else None) as running:
        yield running


def config_for(tmp_path, *sources: str, extra: str = ""):
    listed = "\n".join(sources)
    return load_config(write_config(tmp_path, f"""
sources:
{listed}
fetch:
  allow_private: [127.0.0.1/32]
  retries: 1
  retry_backoff_seconds: 0.01
  timeout_seconds: 5
output:
  formats: [html]
{extra}
"""))


def url_source(url: str, name: str | None = None, full_text: str = "never") -> str:
    lines = f"  - url: {url}\n    full_text: {full_text}"
    return lines + (f"\n    name: {name}" if name else "")


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
        f"<description>{title} in brief.</description></item>"
        for guid, title, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Wire</title>{body}</channel></rss>'.encode()


@needs_corpus
def test_a_feed_is_fetched_once_then_answered_304(tmp_path, server):
    config = config_for(tmp_path, url_source(server.url("/feeds/FeedReader-cs/Rss20NYTimes.xml")))
    clock = Clock(T0)
    with open_store(config.state) as store:
        first = collect(config, store, now=clock)
        clock.advance(hours=1)
        second = collect(config, store, now=clock)
        health = store.all_source_health()[0]
    (report,) = first.sources
    assert report.status == "ok" and report.new == report.seen > 10
    assert second.sources[0].status == "not modified" and second.new == 0
    conditional = server.requests_to("/feeds/FeedReader-cs/Rss20NYTimes.xml")[1]
    assert conditional.headers["If-None-Match"] and conditional.headers["If-Modified-Since"]
    assert health.healthy and health.last_item_count == report.seen and health.last_success == T0 + timedelta(hours=1)


@needs_corpus
@pytest.mark.parametrize("status", [404, 410, 500])
def test_an_http_error_is_local_to_its_source(tmp_path, server, status):
    server.route("/down.xml", Reply(status, b"no"))
    config = config_for(tmp_path, url_source(server.url("/down.xml"), "Down"),
                        url_source(server.url("/feeds/netnewswire/rose.json")))
    clock = Clock(T0)
    with open_store(config.state) as store:
        collect(config, store, now=clock)
        clock.advance(hours=1)
        report = collect(config, store, now=clock)
    down, fine = report.sources
    assert down.failed and f"HTTP {status}" in down.error and down.failing_since == T0
    assert fine.status in ("ok", "not modified") and not fine.failed
    (problem,) = report.as_problems()
    assert problem.source == "Down" and problem.since == T0


@needs_corpus
def test_a_429_with_retry_after_is_not_asked_again_until_then(tmp_path, server):
    server.route("/busy.xml", Reply(429, b"", {"Retry-After": "7200"}))
    config = config_for(tmp_path, url_source(server.url("/busy.xml"), "Busy"))
    clock = Clock(T0)
    with open_store(config.state) as store:
        first = collect(config, store, now=clock)
        clock.advance(hours=1)
        second = collect(config, store, now=clock)
        clock.advance(hours=1, minutes=1)
        collect(config, store, now=clock)
    assert first.sources[0].failed and "HTTP 429" in first.sources[0].error
    assert second.sources[0].status == "waiting" and "wait until 2026-03-02 08:00" in second.sources[0].error
    assert len(server.requests_to("/busy.xml")) == 2  # not during the wait, again after it


@needs_corpus
def test_malformed_undated_json_and_empty_feeds(tmp_path, server):
    config = config_for(
        tmp_path,
        url_source(server.url("/feeds/feedjira/TechCrunch.xml")),          # bozo, still has items
        url_source(server.url("/feeds/netnewswire/inessential.json")),     # JSON Feed
        url_source(server.url("/feeds/FeedReader-cs/Rss20FinanzenNet.xml")),  # no dates at all
        url_source(server.url("/feeds/FeedReader-cs/Rss20DailyMail.xml")),    # a channel with no items
    )
    with open_store(config.state) as store:
        report = collect(config, store, now=Clock(T0))
        undated = [a for a in store.undelivered("default") if a.origin.endswith("Rss20FinanzenNet.xml")]
    bozo, json_feed, no_dates, empty = report.sources
    assert bozo.status == "ok" and bozo.seen == 20 and "malformed" in bozo.warnings[0]
    assert json_feed.status == "ok" and json_feed.seen == 20 and json_feed.name == "inessential.com"
    assert no_dates.seen == 15 and len(undated) == 15
    assert all(a.published == T0 for a in undated)  # published → updated → first seen
    assert empty.failed and "the feed (rss20) has no items" in empty.error


def test_a_gzip_bomb_and_a_redirect_loop_fail_alone(tmp_path, server):
    server.route("/bomb.xml", Reply.gzip(b"\0" * 30_000_000))
    server.route("/loop.xml", Reply.redirect("/loop.xml"))
    server.route("/ok.xml", Reply(200, rss(("g1", "Harbour reopens", "https://example.org/1"))))
    config = config_for(tmp_path, url_source(server.url("/bomb.xml"), "Bomb"),
                        url_source(server.url("/loop.xml"), "Loop"), url_source(server.url("/ok.xml")))
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"max_body_mb": 1})})
    with open_store(config.state) as store:
        bomb, loop, fine = collect(config, store, now=Clock(T0)).sources
    assert bomb.failed and "larger than" in bomb.error
    assert loop.failed and "too many redirects" in loop.error
    assert fine.new == 1


def test_an_item_that_left_the_feed_is_still_delivered_and_nothing_twice(tmp_path, server):
    server.route("/wire.xml", Reply(200, rss(("a", "Alpha dam opens", "https://example.org/a"),
                                             ("b", "Bravo bridge closes", "https://example.org/b"))))
    config = config_for(tmp_path, url_source(server.url("/wire.xml")))
    clock = Clock(T0)
    with open_store(config.state) as store:
        collect(config, store, now=clock)  # an hourly collect keeps a and b
    clock.advance(hours=1)
    server.route("/wire.xml", Reply(200, rss(("b", "Bravo bridge closes", "https://example.org/b"),
                                             ("c", "Charlie canal dredged", "https://example.org/c"))))
    first = run(config, date(2026, 3, 2), now=clock)
    assert titles(first) == {"Alpha dam opens", "Bravo bridge closes", "Charlie canal dredged"}

    clock.advance(days=1)
    server.route("/wire.xml", Reply(200, rss(("c", "Charlie canal dredged", "https://example.org/c"),
                                             ("d", "Delta ferry delayed", "https://example.org/d"))))
    second = run(config, date(2026, 3, 3), now=clock)
    assert titles(second) == {"Delta ferry delayed"}

    # Running the same day again gives the same briefing, plus anything new.
    again = run(config, date(2026, 3, 3), now=clock)
    assert titles(again) == {"Delta ferry delayed"}
    with open_store(config.state) as store:
        assert [r.date for r in store.briefings("default")] == ["2026-03-02", "2026-03-03", "2026-03-03"]


def test_nothing_is_marked_delivered_when_writing_fails(tmp_path, server):
    server.route("/wire.xml", Reply(200, rss(("a", "Alpha dam opens", "https://example.org/a"))))
    config = config_for(tmp_path, url_source(server.url("/wire.xml")))
    blocked = tmp_path / "out"
    blocked.write_text("a file where the output folder should be")
    with pytest.raises(Exception):
        run(config, date(2026, 3, 2), now=Clock(T0))
    with open_store(config.state) as store:
        assert [a.title for a in store.undelivered("default")] == ["Alpha dam opens"]
        assert store.briefings() == []


@pytest.mark.skipif(not PAGES.is_dir(), reason=f"the shared corpus pages are not at {PAGES}")
def test_a_teaser_is_replaced_by_the_text_of_its_page(tmp_path, server):
    page = sorted(PAGES.glob("*.html"))[0]
    link = server.url(f"/pages/article-extraction-benchmark/{page.name}")
    server.route("/teasers.xml", Reply(200, rss(("t1", "A page with more", link),
                                                ("t2", "A page that is gone", server.url("/missing.html")))))
    config = config_for(tmp_path, url_source(server.url("/teasers.xml"), full_text="auto"))
    with open_store(config.state) as store:
        report = collect(config, store, now=Clock(T0))
        stored = {a.title: a for a in store.undelivered("default")}
        # A second collect does not fetch the page again: the article is known and unchanged.
        collect(config, store, now=Clock(T0 + timedelta(hours=1)))
    truth = json.loads(page.with_suffix(".json").read_text())["articleBody"]
    assert " ".join(truth.split()[:8]) in " ".join(stored["A page with more"].text.split())
    assert stored["A page that is gone"].text == "A page that is gone in brief."
    assert "could not be fetched" in report.sources[0].warnings[0] and "HTTP 404" in report.sources[0].warnings[0]
    assert len(server.requests_to(f"/pages/article-extraction-benchmark/{page.name}")) == 1


def test_article_pages_on_private_addresses_are_refused(tmp_path, server):
    server.route("/wire.xml", Reply(200, rss(("m", "Metadata", "http://169.254.169.254/latest/meta-data/"),
                                             ("i", "Intranet", "http://10.0.0.7/secret"))))
    config = config_for(tmp_path, url_source(server.url("/wire.xml"), full_text="always"))
    with open_store(config.state) as store:
        (report,) = collect(config, store, now=Clock(T0)).sources
    assert report.new == 2
    assert "169.254.169.254" in report.warnings[0] and "10.0.0.7" in report.warnings[0]


def test_opml_lists_become_sources(tmp_path, server):
    (tmp_path / "subs.opml").write_text(f"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Subs</title></head><body>
  <outline text="World"><outline text="Loopback Wire" type="rss" xmlUrl="{server.url('/wire.xml')}"/></outline>
  <outline text="Not a feed" type="link" url="file:///etc/passwd"/>
</body></opml>""")
    server.route("/wire.xml", Reply(200, rss(("a", "Alpha dam opens", "https://example.org/a"))))
    config = config_for(tmp_path, "  - opml: subs.opml\n    tags: [imported]\n    full_text: never")
    (source,), problems = expand_sources(config.sources)
    assert source.url == server.url("/wire.xml") and source.name == "Loopback Wire"
    assert source.tags == ("imported", "World") and problems == []
    with open_store(config.state) as store:
        assert collect(config, store, now=Clock(T0)).new == 1


def titles(result) -> set[str]:
    return {a.title for s in result.briefing.sections for story in s.stories for a in story.articles}


def test_the_cli_collects_lists_sources_and_runs(tmp_path, server):
    server.route("/wire.xml", Reply(200, rss(("a", "Alpha dam opens", "https://example.org/a"))))
    server.route("/down.xml", Reply(503, b""))
    write_config(tmp_path, f"""
sources:
{url_source(server.url("/wire.xml"))}
{url_source(server.url("/down.xml"), "Down desk")}
fetch: {{allow_private: [127.0.0.1], retries: 0}}
output: {{formats: [html]}}
""")
    collected = run_cli("collect", cwd=tmp_path)
    assert collected.returncode == 0, collected.stderr
    assert "Loopback Wire: ok, 1 items, 1 new" in collected.stdout
    assert "Down desk: failed" in collected.stdout and "HTTP 503" in collected.stderr
    assert "Collected 1 new articles from 2 sources (1 failed)" in collected.stdout

    listed = run_cli("sources", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "ok" in listed.stdout and "Loopback Wire" in listed.stdout
    assert "FAILING x1" in listed.stdout and "Down desk" in listed.stdout and "HTTP 503" in listed.stdout

    briefed = run_cli("run", "--date", "2026-03-02", cwd=tmp_path)
    assert briefed.returncode == 0, briefed.stderr
    html = (tmp_path / "out" / "default" / "2026-03-02.html").read_text()
    assert "Alpha dam opens" in html and "Down desk" in html and "failing since" in html
    again = run_cli("run", "--date", "2026-03-03", cwd=tmp_path)
    assert "0 stories from 0 articles" in again.stdout and "Nothing new since the last briefing" in again.stdout
    rebuilt = run_cli("run", "--date", "2026-03-04", "--since", "2026-01-01", "--no-collect", cwd=tmp_path)
    assert "1 story from 1 article" in rebuilt.stdout


def test_a_corrupt_state_file_stops_the_run_with_a_clear_error(tmp_path):
    write_config(tmp_path, "state: state.sqlite\n")
    (tmp_path / "state.sqlite").write_bytes(b"garbage" * 1000)
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 6
    assert "state.sqlite: not a usable briefing state database" in result.stderr
    assert (tmp_path / "state.sqlite").read_bytes() == b"garbage" * 1000


# --- robots.txt: the operator subscribed to the feed, not to the pages it links to -------------------------

PARAGRAPHS = "".join(
    f"<p>Paragraph {n} of the full story tells readers what happened at the harbour on Tuesday, who was there, "
    "and what the council decided about the ferry timetable for the winter months.</p>" for n in range(1, 7))
ARTICLE_PAGE = ("<html><head><title>{title}</title></head><body><nav>Home | World | Sport</nav>"
                "<article><h1>{title}</h1>" + PARAGRAPHS + "</article>"
                "<footer>Copyright The Loopback Post</footer></body></html>")


def serve_two_pages(server, robots: Reply) -> None:
    server.route("/robots.txt", robots)
    server.route("/wire.xml", Reply(200, rss(("open", "Open story", server.url("/news/open.html")),
                                             ("closed", "Closed story", server.url("/private/closed.html"))),
                                         {"Content-Type": "application/rss+xml"}))
    for path, title in (("/news/open.html", "Open story"), ("/private/closed.html", "Closed story")):
        server.route(path, Reply.text(ARTICLE_PAGE.format(title=title), content_type="text/html; charset=utf-8"))


def collect_wire(tmp_path, server, robots_txt: bool = True):
    config = config_for(tmp_path, url_source(server.url("/wire.xml"), full_text="always"))
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"robots_txt": robots_txt})})
    with open_store(config.state) as store:
        (report,) = collect(config, store, now=Clock(T0)).sources
        texts = {a.title: a.text for a in store.undelivered("default")}
    return report, texts


def test_a_page_that_robots_txt_forbids_is_not_fetched_and_its_teaser_is_kept(tmp_path, server):
    serve_two_pages(server, Reply.text("User-agent: *\nDisallow: /private/\n"))
    report, texts = collect_wire(tmp_path, server)
    assert "Paragraph 6 of the full story" in texts["Open story"]
    assert texts["Closed story"] == "Closed story in brief."
    assert server.requests_to("/private/closed.html") == []
    assert len(server.requests_to("/robots.txt")) == 1
    (warning,) = report.warnings
    assert "robots.txt forbids" in warning and server.url("/private/closed.html") in warning


def test_robots_txt_that_answers_5xx_forbids_every_page_until_it_can_be_read(tmp_path, server):
    serve_two_pages(server, Reply.text("down for maintenance", status=503))
    report, texts = collect_wire(tmp_path, server)
    assert texts == {"Open story": "Open story in brief.", "Closed story": "Closed story in brief."}
    assert server.requests_to("/news/open.html") == [] and server.requests_to("/private/closed.html") == []
    assert "could not be read" in report.warnings[0] and "503" in report.warnings[0]


def test_robots_txt_that_is_missing_allows_every_page_and_the_operator_can_turn_the_check_off(tmp_path, server):
    serve_two_pages(server, Reply.text("not found", status=404))
    (tmp_path / "missing").mkdir()
    (tmp_path / "off").mkdir()
    _, texts = collect_wire(tmp_path / "missing", server)
    assert all("Paragraph 6" in text for text in texts.values())
    server.reset()
    serve_two_pages(server, Reply.text("User-agent: *\nDisallow: /\n"))
    _, texts = collect_wire(tmp_path / "off", server, robots_txt=False)
    assert all("Paragraph 6" in text for text in texts.values())
    assert server.requests_to("/robots.txt") == []
