"""The whole job, top to bottom: gather → summarise → group → render → deliver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .config import Config
from .deliver import write_archive
from .gather import gather
from .group import build_sections, merge_stories
from .model import Article, Briefing
from .render import render, template_environment
from .resources import bundled_templates_dir
from .summarise import summarise_all

DEFAULT_AUDIENCE = "default"

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) during long stages."""


@dataclass
class RunResult:
    briefing: Briefing
    written: list[Path]
    timings: dict[str, float] = field(default_factory=dict)


def run(config: Config, on: date | None = None, progress: Progress | None = None) -> RunResult:
    """Build the briefing for `on` (default: today) and write it in every configured format."""
    on = on or date.today()
    timings: dict[str, float] = {}
    briefing = build_briefing(config, on, progress, timings)
    with _timed(timings, "render"):
        env = template_environment(template_search_path(config))
        rendered = render(briefing, env, pdf="pdf" in config.output.formats)
    with _timed(timings, "deliver"):
        written = write_archive(rendered, config.output.dir / DEFAULT_AUDIENCE, on, config.output.formats)
    return RunResult(briefing, written, timings)


def build_briefing(
    config: Config, on: date, progress: Progress | None = None, timings: dict[str, float] | None = None
) -> Briefing:
    timings = {} if timings is None else timings
    with _timed(timings, "gather"):
        gathered = gather(config.sources, config.language)
        articles = published_within(gathered.articles, on, config.max_age_days)
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
        problems=gathered.problems,
        source_names=tuple(s.display_name for s in config.sources),
    )


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
