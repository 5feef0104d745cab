"""The whole job, top to bottom: collect → select → summarise → group → render → deliver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .collect import Clock, CollectReport, collect, expand_sources, utc_now
from .config import Config
from .deliver import write_archive
from .group import build_sections, merge_stories
from .model import Article, Briefing, Problem
from .render import render, template_environment
from .resources import bundled_templates_dir
from .state import Store, open_store
from .summarise import summarise_all

DEFAULT_AUDIENCE = "default"

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) during long stages."""


@dataclass
class RunResult:
    briefing: Briefing
    written: list[Path]
    timings: dict[str, float] = field(default_factory=dict)
    collected: CollectReport | None = None


def run(
    config: Config,
    on: date | None = None,
    progress: Progress | None = None,
    *,
    since: datetime | None = None,
    collect_first: bool = True,
    now: Clock = utc_now,
) -> RunResult:
    """Collect, then build the briefing for `on` (default: today) from what is not yet delivered.

    `since` takes every stored article published since then instead, delivered or not. The
    articles are marked delivered only once every file of the briefing has been written.
    """
    on = on or now().date()
    timings: dict[str, float] = {}
    with open_store(config.state) as store:
        report = None
        if collect_first:
            with _timed(timings, "collect"):
                report = collect(config, store, now=now)
        articles = _articles_for(store, config, DEFAULT_AUDIENCE, on, since)
        problems = report.as_problems() if report else _known_problems(store, config)
        briefing = build_briefing(config, articles, problems, on, progress, timings)
        with _timed(timings, "render"):
            env = template_environment(template_search_path(config))
            rendered = render(briefing, env, pdf="pdf" in config.output.formats)
        with _timed(timings, "deliver"):
            written = write_archive(rendered, config.output.dir / DEFAULT_AUDIENCE, on, config.output.formats)
            delivered = [a.id for s in briefing.sections for story in s.stories for a in story.articles]
            store.record_briefing(DEFAULT_AUDIENCE, on.isoformat(), delivered, written, now())
    return RunResult(briefing, written, timings, report)


def build_briefing(
    config: Config,
    articles: Sequence[Article],
    problems: Sequence[Problem],
    on: date,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
) -> Briefing:
    """Summarise, group and assemble the briefing for these articles; no I/O."""
    timings = {} if timings is None else timings
    articles = published_within(articles, on, config.max_age_days)
    with _timed(timings, "summarise"):
        summaries = summarise_all(articles, config.summary, _stage_progress(progress, "summarise", len(articles)))
    with _timed(timings, "group"):
        stories = merge_stories(articles, summaries, config.grouping.story_similarity)
        sections = build_sections(stories, config.grouping)
    return Briefing(
        title=config.title,
        audience=DEFAULT_AUDIENCE,
        date=on,
        sections=tuple(sections),
        generated_at=datetime.now(timezone.utc),
        problems=tuple(problems),
        source_names=tuple(s.display_name for s in config.sources),
    )


def _articles_for(store: Store, config: Config, audience: str, on: date, since: datetime | None) -> list[Article]:
    """Everything not yet delivered to the audience, plus what an earlier run for the same date delivered."""
    sources, _ = expand_sources(config.sources)
    keys = [s.key for s in sources]
    if since is not None:
        return store.since(since, keys)
    chosen = {a.id: a for a in store.delivered_on(audience, on.isoformat())}
    for article in store.undelivered(audience, keys):
        chosen.setdefault(article.id, article)
    return list(chosen.values())


def _known_problems(store: Store, config: Config) -> list[Problem]:
    """Configured sources whose last collection failed, from the state database."""
    sources, problems = expand_sources(config.sources)
    for source in sources:
        health = store.source_health(source.key)
        if health and not health.healthy:
            problems.append(Problem(health.name, health.last_error or "failed", health.failing_since))
    return problems


def template_search_path(config: Config) -> list[Path]:
    """The user's template folder first (a file of the same name overrides), then the bundled set."""
    bundled = bundled_templates_dir() / "default"
    return [config.templates, bundled] if config.templates else [bundled]


def published_within(articles: Sequence[Article], on: date, max_age_days: int | None) -> list[Article]:
    """Articles no older than `max_age_days` before the end of `on`; undated ones are kept."""
    if max_age_days is None:
        return list(articles)
    end = datetime.combine(on + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    start = end - timedelta(days=max_age_days + 1)
    return [a for a in articles if a.published is None or start <= a.published < end]


def _stage_progress(progress: Progress | None, stage: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress(stage, done, total)

    return advance


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = time.perf_counter() - start
