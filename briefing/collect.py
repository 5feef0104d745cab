"""Collect: read every source, fetch full text for teasers, and store what is new.

This is the only stage that touches the network and the only writer of articles and source
health in the state database. It can run on its own (`briefing collect`, e.g. hourly), so
that items are kept before they scroll out of a short feed; `briefing run` collects first
and then renders whatever has not been delivered yet.

A source that fails (timeout, HTTP error, malformed, empty) is recorded with what went wrong
and since when; the other sources are collected as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import listparser

from .config import Config, FetchConfig, SourceConfig
from .gather import read_local_source
from .gather.feeds import FeedParseError, parse_feed
from .gather.fetch import FetchPolicy, FetchRequest, FetchResult, fetch_all
from .gather.fulltext import extract_article, is_teaser
from .gather.robots import robots_url, site_rules
from .model import Article, Problem
from .state import SourceHealth, Store, content_hash

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class SourceReport:
    """What one collection did with one source."""

    name: str
    key: str
    status: str  # "ok", "not modified", "waiting", "failed"
    new: int = 0
    updated: int = 0
    seen: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    failing_since: datetime | None = None

    @property
    def failed(self) -> bool:
        """Nothing could be collected from it this time (an error, or a server asking us to wait)."""
        return self.status in ("failed", "waiting")


@dataclass(frozen=True)
class CollectReport:
    sources: tuple[SourceReport, ...] = ()
    problems: tuple[Problem, ...] = field(default=())  # sources that could not even be listed (OPML)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def failed(self) -> tuple[SourceReport, ...]:
        return tuple(s for s in self.sources if s.failed)

    def as_problems(self) -> tuple[Problem, ...]:
        """Failures and warnings, one Problem each, for the run's report and the briefing's appendix."""
        found = list(self.problems)
        for source in self.sources:
            if source.failed:
                found.append(Problem(source.name, source.error or "failed", source.failing_since))
            found.extend(Problem(source.name, warning) for warning in source.warnings)
        return tuple(found)


def fetch_policy(settings: FetchConfig) -> FetchPolicy:
    policy = FetchPolicy(
        deadline_seconds=settings.timeout_seconds,
        max_body_bytes=int(settings.max_body_mb * 1_000_000),
        max_redirects=settings.max_redirects,
        retries=settings.retries,
        backoff_seconds=settings.retry_backoff_seconds,
        per_host_concurrency=settings.per_host,
        total_concurrency=settings.concurrency,
        allow_private=settings.allow_private,
        robots_txt=settings.robots_txt,
    )
    return replace(policy, user_agent=settings.user_agent) if settings.user_agent else policy


def collect(config: Config, store: Store, *, now: Clock = utc_now, policy: FetchPolicy | None = None) -> CollectReport:
    """Read every configured source and store its articles; never raises for a failing source."""
    policy = policy or fetch_policy(config.fetch)
    sources, problems = expand_sources(config.sources)
    reports: dict[str, SourceReport] = {}
    positions = {s.key: i for i, s in enumerate(config.sources)}
    for source in sources:
        if source.path is not None:
            reports[source.key] = _collect_local(source, config.language, store, now, positions.get(source.key))
    remote = [s for s in sources if s.url is not None]
    for report in _collect_remote(remote, config.language, store, now, policy):
        reports[report.key] = report
    ordered = tuple(reports[s.key] for s in sources if s.key in reports)
    return CollectReport(ordered, tuple(problems))


def expand_sources(sources: Sequence[SourceConfig]) -> tuple[list[SourceConfig], list[Problem]]:
    """Each OPML source replaced by one source per feed it lists; duplicates (same key) kept once."""
    expanded: dict[str, SourceConfig] = {}
    problems: list[Problem] = []
    for source in sources:
        if source.opml is None:
            expanded.setdefault(source.key, source)
            continue
        try:
            feeds = read_opml(source.opml)
        except (OSError, ValueError) as exc:
            problems.append(Problem(source.display_name, f"{source.opml}: {exc}"))
            continue
        for url, title, tags in feeds:
            feed = SourceConfig(url=url, name=title or None, tags=(*source.tags, *tags),
                                language=source.language, full_text=source.full_text)
            expanded.setdefault(feed.key, feed)
    return list(expanded.values()), problems


def read_opml(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """(url, title, tags) of every http(s) feed in an OPML subscription list."""
    # Bytes, never a str: listparser fetches a str that looks like a URL.
    parsed = listparser.parse(path.read_bytes())
    feeds = [(f.url, f.get("title", ""), tuple(f.get("tags", ()))) for f in parsed.feeds
             if str(f.get("url", "")).lower().startswith(("http://", "https://"))]
    if not feeds:
        reason = parsed.get("bozo_exception")
        raise ValueError(f"no feed addresses found in this OPML file{f' ({reason})' if reason else ''}")
    return feeds


def _collect_local(source: SourceConfig, language: str, store: Store, now: Clock, index: int | None) -> SourceReport:
    gathered = read_local_source(source, language, index)
    at = now()
    if not gathered.articles and gathered.problems:
        error = "; ".join(p.message for p in gathered.problems)
        return _failed(store, source, at, "unreadable", error)
    outcome = store.store_articles(gathered.articles, source.key, at)
    store.record_success(source.key, source.display_name, at, status="read", item_count=len(gathered.articles))
    return SourceReport(source.display_name, source.key, "ok", len(outcome.new), len(outcome.updated),
                        len(gathered.articles), warnings=tuple(p.message for p in gathered.problems))


def _collect_remote(sources: list[SourceConfig], language: str, store: Store, now: Clock,
                    policy: FetchPolicy) -> list[SourceReport]:
    reports: list[SourceReport] = []
    due: list[tuple[SourceConfig, SourceHealth | None]] = []
    for source in sources:
        health = store.source_health(source.key)
        if health and health.retry_after and health.retry_after > now():
            reports.append(SourceReport(
                source.display_name, source.key, "waiting",
                error=f"the server asked us to wait until {health.retry_after:%Y-%m-%d %H:%M} UTC",
                failing_since=health.failing_since,
            ))
        else:
            due.append((source, health))
    requests = [FetchRequest(s.url, etag=h.etag if h else None, last_modified=h.last_modified if h else None)
                for s, h in due]  # type: ignore[arg-type]
    results = fetch_all(requests, policy) if requests else []
    for (source, _), result in zip(due, results):
        reports.append(_store_feed(source, result, language, store, now, policy))
    return reports


def _store_feed(source: SourceConfig, result: FetchResult, language: str, store: Store, now: Clock,
                policy: FetchPolicy) -> SourceReport:
    at = now()
    name = source.display_name
    if result.not_modified:
        store.record_success(source.key, name, at, status="304 not modified", item_count=None)
        return SourceReport(name, source.key, "not modified")
    if not result.ok:
        retry_at = at + timedelta(seconds=result.retry_after) if result.retry_after else None
        status = str(result.status) if result.status else "error"
        return _failed(store, source, at, status, _fetch_error(result), retry_at)
    try:
        feed = parse_feed(result.body, origin=source.url, language=source.language or language,  # type: ignore[arg-type]
                          source=source.name, base_url=result.final_url, content_type=result.content_type)
    except FeedParseError as exc:
        return _failed(store, source, at, "malformed", str(exc))
    name = source.name or feed.title or name
    articles = _dedupe(list(feed.articles))
    fingerprints = {a.id: content_hash(a) for a in articles}
    stored = store.fingerprints(fingerprints)
    changed = [a for a in articles if stored.get(a.id) != fingerprints[a.id]]
    completed, page_warnings = _with_full_text(changed, source, policy)
    with_text = {a.id: a for a in completed}
    outcome = store.store_articles([with_text.get(a.id, a) for a in articles], source.key, at, fingerprints)
    store.record_success(source.key, name, at, status=str(result.status), item_count=len(feed.articles),
                         etag=result.etag, last_modified=result.last_modified)
    warnings = list(page_warnings)
    if feed.malformed:
        warnings.append(f"the feed is malformed ({feed.malformed}); {len(feed.articles)} items were read anyway")
    return SourceReport(name, source.key, "ok", len(outcome.new), len(outcome.updated), len(feed.articles),
                        warnings=tuple(warnings))


def _with_full_text(articles: list[Article], source: SourceConfig, policy: FetchPolicy) -> tuple[list[Article], list[str]]:
    """Articles whose feed body is only a teaser, with the text of their page instead."""
    wanted = [a for a in articles if a.url and _wants_page(a, source.full_text)]
    if not wanted:
        return articles, []
    warnings: list[str] = []
    if policy.robots_txt:
        wanted, warnings = _allowed_by_robots_txt(wanted, policy)
    results = fetch_all([FetchRequest(a.url) for a in wanted], policy) if wanted else []  # type: ignore[arg-type]
    replaced: dict[str, Article] = {}
    failures: list[str] = []
    for article, result in zip(wanted, results):
        if not result.ok:
            failures.append(f"{article.url}: {_fetch_error(result)}")
            continue
        page = extract_article(result.body, result.final_url, content_type=result.content_type)
        if page is None or len(page.text) <= len(article.text):
            continue
        replaced[article.id] = replace(article, text=page.text, published=article.published or page.published)
    if failures:
        warnings.append(f"{len(failures)} article page(s) could not be fetched, so their teaser is used: "
                        f"{_first_few(failures)}")
    return [replaced.get(a.id, a) for a in articles], warnings


def _allowed_by_robots_txt(articles: list[Article], policy: FetchPolicy) -> tuple[list[Article], list[str]]:
    """The articles whose page its site's robots.txt lets us fetch, and a warning for the others."""
    urls = [article.url or "" for article in articles]
    sites = sorted({robots_url(url) for url in urls})
    rules = {site: site_rules(site, result)
             for site, result in zip(sites, fetch_all([FetchRequest(site) for site in sites], policy))}
    allowed: list[Article] = []
    disallowed: list[str] = []
    unreadable: dict[str, str] = {}
    for article, url in zip(articles, urls):
        site = rules[robots_url(url)]
        if site.allows(url, policy.user_agent):
            allowed.append(article)
        elif site.unreadable is not None:
            unreadable[site.robots_url] = site.unreadable
        else:
            disallowed.append(url)
    warnings = []
    if disallowed:
        warnings.append(f"{len(disallowed)} article page(s) not fetched because their site's robots.txt forbids it, "
                        f"so their teaser is used: {_first_few(disallowed)}")
    if unreadable:
        skipped = len(articles) - len(allowed) - len(disallowed)
        warnings.append(f"{skipped} article page(s) not fetched because their site's robots.txt could not be read, "
                        f"so their teaser is used: {_first_few([f'{u}: {e}' for u, e in unreadable.items()])}")
    return allowed, warnings


def _first_few(items: list[str], shown: int = 3) -> str:
    listed = "; ".join(items[:shown])
    return listed + (f"; and {len(items) - shown} more" if len(items) > shown else "")


def _wants_page(article: Article, mode: str) -> bool:
    return mode == "always" or (mode == "auto" and is_teaser(article.text))


def _failed(store: Store, source: SourceConfig, at: datetime, status: str, error: str,
            retry_after: datetime | None = None) -> SourceReport:
    health = store.record_failure(source.key, source.display_name, at, status=status, error=error,
                                  retry_after=retry_after)
    log.info("%s: %s", source.display_name, error)
    return SourceReport(source.display_name, source.key, "failed", error=error, failing_since=health.failing_since)


def _fetch_error(result: FetchResult) -> str:
    message = result.error or f"HTTP {result.status}"
    if result.retry_after:
        message += f" (retry after {result.retry_after:.0f} s)"
    return message


def _dedupe(articles: list[Article]) -> list[Article]:
    seen: dict[str, Article] = {}
    for article in articles:
        seen.setdefault(article.id, article)
    return list(seen.values())
