"""The whole job, top to bottom: collect → select → summarise → group → render → deliver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .collect import Clock, CollectReport, collect, expand_sources, utc_now
from .audience import source_keys, tailor
from .config import Audience, Config
from .errors import ConfigError
from .deliver import write_archive, write_preview
from .group import build_sections, merge_stories
from .model import Article, Briefing, Problem
from .quotes import key_quotes
from .render import render, render_html, template_environment
from .resources import bundled_templates_dir
from .state import Store, open_store
from .summarise import summarise_all

_QUOTES_PER_STORY = 3

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) during long stages."""


@dataclass(frozen=True)
class Edition:
    """One audience's briefing and the files written for it."""

    audience: Audience
    briefing: Briefing
    written: tuple[Path, ...]


@dataclass
class RunResult:
    editions: list[Edition]
    timings: dict[str, float] = field(default_factory=dict)
    collected: CollectReport | None = None

    @property
    def briefing(self) -> Briefing:
        """The first (often the only) audience's briefing."""
        return self.editions[0].briefing

    @property
    def written(self) -> list[Path]:
        return [path for edition in self.editions for path in edition.written]


def run(
    config: Config,
    on: date | None = None,
    progress: Progress | None = None,
    *,
    audiences: Sequence[str] | None = None,
    since: datetime | None = None,
    collect_first: bool = True,
    now: Clock = utc_now,
) -> RunResult:
    """Collect, then build each audience's briefing for `on` (default: today) from what it has not had yet.

    `since` takes every stored article published since then instead, delivered or not. An
    audience's articles are marked delivered only once every file of its briefing is written.
    """
    on = on or now().date()
    chosen = [config.audience(name) for name in audiences] if audiences else config.resolved_audiences()
    timings: dict[str, float] = {}
    with open_store(config.state) as store:
        report = None
        if collect_first:
            with _timed(timings, "collect"):
                report = collect(config, store, now=now)
        problems = report.as_problems() if report else _known_problems(store, config)
        editions = [_edition(config, audience, store, on, since, problems, progress, timings, now)
                    for audience in chosen]
    return RunResult(editions, timings, report)


def preview_edition(config: Config, audience_name: str, on: date, now: Clock = utc_now) -> Path:
    """Write the audience's HTML to out/<audience>/preview.html without marking anything delivered.

    It shows what `run` would deliver now or, when nothing is new, the audience's last briefing
    again, so that a template can be checked on real content at any time.
    """
    audience = config.audience(audience_name)
    with open_store(config.state) as store:
        if store.article_count() == 0:
            collect(config, store, now=now)
        articles = select_articles(store, config, audience, on, None) or store.last_delivered(audience.name)
        briefing, _ = build_briefing(config, audience, articles, _known_problems(store, config), on)
    html = render_html(briefing, template_environment(template_search_path(config, audience)))
    return write_preview(html, config.output.dir / audience.name)


def _edition(config: Config, audience: Audience, store: Store, on: date, since: datetime | None,
             problems: Sequence[Problem], progress: Progress | None, timings: dict[str, float],
             now: Clock) -> Edition:
    articles = select_articles(store, config, audience, on, since)
    briefing, left_out = build_briefing(config, audience, articles, problems, on, progress, timings)
    with _timed(timings, "render"):
        env = template_environment(template_search_path(config, audience))
        rendered = render(briefing, env, pdf="pdf" in audience.formats)
    with _timed(timings, "deliver"):
        written = write_archive(rendered, config.output.dir / audience.name, on, audience.formats)
        store.record_briefing(audience.name, on.isoformat(), briefing_article_ids(briefing), written, now(),
                              left_out=left_out)
    return Edition(audience, briefing, tuple(written))


def build_briefing(
    config: Config,
    audience: Audience,
    articles: Sequence[Article],
    problems: Sequence[Problem],
    on: date,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[Briefing, list[str]]:
    """Summarise, group and tailor the briefing for these articles; no I/O.

    Also returns the ids of the articles the audience does not get (too old, or cut by its
    keywords, sections or limits), which are not to be offered to it again.
    """
    timings = {} if timings is None else timings
    recent = published_within(articles, on, config.max_age_days)
    summary_settings = config.summary.model_copy(update={"sentences": audience.summary_sentences})
    with _timed(timings, "summarise"):
        summaries = summarise_all(recent, summary_settings, _stage_progress(progress, "summarise", len(recent)))
    with _timed(timings, "group"):
        stories = [replace(story, quotes=tuple(key_quotes(story, _QUOTES_PER_STORY)))
                   for story in merge_stories(recent, summaries, config.grouping.story_similarity)]
        tailored = tailor(build_sections(stories, config.grouping), audience)
    kept = {a.id for a in recent}
    left_out = [a.id for a in articles if a.id not in kept]
    left_out += [a.id for story in tailored.left_out for a in story.articles]
    briefing = Briefing(
        title=audience.title,
        audience=audience.name,
        date=on,
        sections=tailored.sections,
        generated_at=datetime.now(timezone.utc),
        problems=tuple(problems),
        source_names=tuple(s.display_name for s in config.sources),
    )
    return briefing, left_out


def briefing_article_ids(briefing: Briefing) -> list[str]:
    return [a.id for section in briefing.sections for story in section.stories for a in story.articles]


def select_articles(store: Store, config: Config, audience: Audience, on: date, since: datetime | None) -> list[Article]:
    """Everything not yet offered to the audience, plus what an earlier run for the same date delivered."""
    sources, _ = expand_sources(config.sources)
    keys = source_keys(sources, audience)
    if keys is None:
        keys = [s.key for s in sources]
    if since is not None:
        return store.since(since, keys)
    chosen = {a.id: a for a in store.delivered_on(audience.name, on.isoformat())}
    for article in store.undelivered(audience.name, keys):
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


def template_search_path(config: Config, audience: Audience) -> list[Path]:
    """Where the audience's templates are looked up; a file in an earlier folder wins.

    The user's `<templates>/<audience>/`, then the user's `<templates>/<set>/`, then the
    bundled set, then the bundled default set (so a set need only hold what it changes).
    """
    bundled = bundled_templates_dir()
    candidates = []
    if config.templates is not None:
        candidates += [config.templates / audience.name, config.templates / audience.template_set]
    candidates += [bundled / audience.template_set, bundled / "default"]
    path = list(dict.fromkeys(p for p in candidates if p.is_dir()))
    if not any(p.name == audience.template_set for p in path):
        raise ConfigError(
            f"audience {audience.name!r}: no template set {audience.template_set!r}; "
            f"the sets are: {', '.join(template_sets(config))} (`briefing templates new NAME` makes one)."
        )
    return path


def template_sets(config: Config) -> list[str]:
    """Every template set name: the bundled ones and those in the user's templates folder."""
    roots = [bundled_templates_dir()] + ([config.templates] if config.templates else [])
    return sorted({p.name for root in roots if root.is_dir() for p in root.iterdir() if p.is_dir()})


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
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
