"""The whole job, top to bottom: collect → select → summarise → group → render → deliver."""

from __future__ import annotations

import email
import email.policy
import functools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .collect import Clock, CollectReport, collect, expand_sources, utc_now
from .audience import source_keys, tailor
from .config import Audience, Config, SummaryConfig
from .errors import ConfigError, DeliveryError
from .mail import Letter, compose, message_id, send_key, send_message
from .deliver import (
    MAIL_FOLDER, archive_entries, archived_pdf, prune_archive, write_archive, write_file, write_preview,
)
from .group import build_sections, merge_stories
from .model import Article, Briefing, Problem, Section, Story
from .overview import overview
from .quotes import key_quotes
from .render import MAIN_TEMPLATE, Rendered, render, render_html, render_page, template_environment
from .resources import bundled_templates_dir
from .state import Store, open_store
from .summarise import SummaryCache, summarise_all

_QUOTES_PER_STORY = 3
# Earlier articles that grouping may learn from (measured: configured sections 0.904 -> 0.942 in
# batches of 200 with 1,000 earlier articles; see benchmarks/grouping_quality.py).
_HISTORY_ARTICLES = 1000

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) during long stages."""


@dataclass(frozen=True)
class Edition:
    """One audience's briefing, the files written for it, and what happened to its email."""

    audience: Audience
    briefing: Briefing
    written: tuple[Path, ...]
    kept: tuple[Path, ...] = ()  # of `written`, those already there from a run on the same content
    email: str | None = None  # "sent to N recipients", "already sent", "not sent: ..." or None when not emailed
    error: str | None = None  # delivery failed: its articles were not marked delivered
    delivered: bool = True


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

    @property
    def failed(self) -> list[Edition]:
        return [e for e in self.editions if e.error]


def run(
    config: Config,
    on: date | None = None,
    progress: Progress | None = None,
    *,
    audiences: Sequence[str] | None = None,
    since: datetime | None = None,
    collect_first: bool = True,
    send: bool = False,
    now: Clock = utc_now,
) -> RunResult:
    """Collect, then build each audience's briefing for `on` (default: today) from what it has not had yet.

    `since` takes every stored article published since then instead, delivered or not. With
    `send`, audiences that have recipients get it by email. An audience's articles are marked
    delivered only once its files are written and, where it is emailed, the server accepted it.
    A failing audience does not stop the others.
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
        sections_for: dict[tuple, tuple[Section, ...]] = {}  # audiences given the same articles share them
        editions = [_edition(config, audience, store, on, since, problems, progress, timings, now, send,
                             sections_for) for audience in chosen]
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


def resend(config: Config, audience_name: str, on: date, now: Clock = utc_now) -> Edition:
    """Send the archived email of an audience's briefing again, on purpose, with a new Message-ID.

    If that briefing's articles were never marked delivered (it was built without --send),
    they are marked now that the server accepted it.
    """
    audience = config.audience(audience_name)
    if not (config.email.enabled and audience.recipients):
        raise ConfigError(f"audience {audience.name!r} has no email: set email.host and the audience's recipients.")
    folder = config.output.dir / audience.name
    saved = folder / MAIL_FOLDER / f"{on.isoformat()}.eml"
    if not saved.is_file():
        raise DeliveryError(f"{saved}: no email was prepared for {audience.name} on {on}; run that briefing first.")
    message = email.message_from_bytes(saved.read_bytes(), policy=email.policy.default)
    key = send_key(audience.name, on.isoformat())
    record = SavedEdition.read(saved.with_suffix(".json"))
    with open_store(config.state) as store:
        status = _send(config, audience, store, message, key, on, now, force=True)
        store.record_briefing(audience.name, on.isoformat(), record.delivered, record.files, now(),
                              left_out=record.left_out)
    briefing = Briefing(audience.title, audience.name, on, (), now())
    return Edition(audience, briefing, (saved,), email=status)


def _edition(config: Config, audience: Audience, store: Store, on: date, since: datetime | None,
             problems: Sequence[Problem], progress: Progress | None, timings: dict[str, float],
             now: Clock, send: bool, sections_for: dict[tuple, tuple[Section, ...]]) -> Edition:
    articles = select_articles(store, config, audience, on, since)
    history = store.recent(_HISTORY_ARTICLES, exclude=[a.id for a in articles]) if articles else []
    briefing, left_out = build_briefing(config, audience, articles, problems, on, progress, timings,
                                        cache=store.summary_cache(), history=history, sections_for=sections_for)
    folder = config.output.dir / audience.name
    with _timed(timings, "render"):
        env = template_environment(template_search_path(config, audience))
        rendered = render(briefing, env, pdf="pdf" in audience.formats,
                          earlier_pdf=functools.partial(archived_pdf, folder, on))
    with _timed(timings, "deliver"):
        written = tuple(write_archive(rendered, folder, on, audience.formats))
        _update_archive(config, audience, env, folder, on)
        kept = tuple(path for path in written if rendered.pdf_kept and path.suffix == ".pdf")
        edition = Edition(audience, briefing, written, kept=kept)
        if config.email.enabled and audience.recipients:
            edition = _email_edition(config, edition, rendered, left_out, store, on, now, send)
        if edition.delivered:
            store.record_briefing(audience.name, on.isoformat(), briefing_article_ids(briefing), written, now(),
                                  left_out=left_out)
    return edition


def _email_edition(config: Config, edition: Edition, rendered: Rendered, left_out: Sequence[str], store: Store,
                   on: date, now: Clock, send: bool) -> Edition:
    """Compose and archive the edition's email and, with `send`, send it once; `delivered` says whether
    its articles may now be marked delivered."""
    audience, briefing = edition.audience, edition.briefing
    key = send_key(audience.name, on.isoformat())
    sent = store.send_record(key)
    if send and sent and sent.status == "sent":
        # Its articles were marked when it was sent; anything newer waits for the next briefing.
        return replace(edition, delivered=False, email=f"already sent on {sent.updated:%Y-%m-%d %H:%M} UTC")
    message = _prepare_email(config, audience, briefing, rendered, on)
    saved = write_file(config.output.dir / audience.name / MAIL_FOLDER / f"{on.isoformat()}.eml", bytes(message))
    SavedEdition(tuple(briefing_article_ids(briefing)), tuple(left_out), edition.written).write(
        saved.with_suffix(".json"))
    if not send:
        return replace(edition, delivered=False,
                       email="not sent (use --send); its articles stay undelivered for the emailed briefing")
    try:
        status = _send(config, audience, store, message, key, on, now, force=False)
    except DeliveryError as exc:
        return replace(edition, delivered=False, email=f"not sent: {exc}", error=str(exc))
    return replace(edition, email=status)


def _update_archive(config: Config, audience: Audience, env, folder: Path, on: date) -> None:
    if config.output.keep_days:
        prune_archive(folder, config.output.keep_days, on)
    index = render_page(env, "archive.html", title=audience.title, audience=audience.name,
                        entries=archive_entries(folder), keep_days=config.output.keep_days)
    write_file(folder / "index.html", index.encode("utf-8"))


def _prepare_email(config: Config, audience: Audience, briefing: Briefing, rendered: Rendered, on: date):
    """The message for this edition, composed once and archived, so a resend is the same message."""
    env = template_environment(_email_search_path(config, audience))
    location = (f"{config.email.archive_url.rstrip('/')}/{audience.name}/{on.isoformat()}.pdf"
                if config.email.archive_url else None)
    letter = Letter(
        subject=f"{briefing.title}, {on:%A} {on.day} {on:%B %Y}",
        html=render_page(env, MAIN_TEMPLATE, briefing=briefing),
        text=render_page(env, "briefing.txt", briefing=briefing),
        pdf=rendered.pdf,
        pdf_name=f"{audience.name}-{on.isoformat()}.pdf",
        pdf_location=location,
    )
    key = send_key(audience.name, on.isoformat())
    return compose(letter, config.email, audience.recipients, key, message_id(key, config.email.sender))


def _send(config: Config, audience: Audience, store: Store, message, key: str, on: date, now: Clock,
          *, force: bool) -> str:
    """Send under this key; a restart reuses the Message-ID of an unfinished send, `force` makes a new one."""
    record = store.send_record(key)
    msgid = record.message_id if record and not force else message_id(
        key, config.email.sender, f".{int(now().timestamp())}" if force else "")
    message.replace_header("Message-ID", msgid)
    store.begin_send(key, audience.name, on.isoformat(), msgid, audience.recipients, now())
    try:
        outcome = send_message(message, config.email, audience.recipients)
    except DeliveryError as exc:
        store.finish_send(key, sent=False, attempts=config.email.retries + 1, at=now(), error=str(exc))
        raise
    store.finish_send(key, sent=True, attempts=outcome.attempts, at=now())
    refused = f"; refused: {', '.join(f'{a} ({r})' for a, r in outcome.refused.items())}" if outcome.refused else ""
    accepted = len(audience.recipients) - len(outcome.refused)
    return f"sent to {accepted} recipient{'s' if accepted != 1 else ''}{refused}"


def _email_search_path(config: Config, audience: Audience) -> list[Path]:
    """The audience's own search path when its set is the email set, else the email set's."""
    if audience.template_set == "email":
        return template_search_path(config, audience)
    return template_search_path(config, replace(audience, name="email", template_set="email"))


@dataclass(frozen=True)
class SavedEdition:
    """Beside an archived email: which articles it delivers, so a later resend can mark them."""

    delivered: tuple[str, ...]
    left_out: tuple[str, ...]
    files: tuple[Path, ...]

    def write(self, path: Path) -> None:
        data = {"delivered": self.delivered, "left_out": self.left_out, "files": [str(f) for f in self.files]}
        write_file(path, json.dumps(data).encode("utf-8"))

    @classmethod
    def read(cls, path: Path) -> SavedEdition:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls((), (), ())
        return cls(tuple(data["delivered"]), tuple(data["left_out"]), tuple(Path(f) for f in data["files"]))


def build_briefing(
    config: Config,
    audience: Audience,
    articles: Sequence[Article],
    problems: Sequence[Problem],
    on: date,
    progress: Progress | None = None,
    timings: dict[str, float] | None = None,
    cache: SummaryCache | None = None,
    history: Sequence[Article] = (),
    sections_for: dict[tuple, tuple[Section, ...]] | None = None,
) -> tuple[Briefing, list[str]]:
    """Summarise, group and tailor the briefing for these articles; no I/O.

    Also returns the ids of the articles the audience does not get (too old, or cut by its
    keywords, sections or limits), which are not to be offered to it again. `sections_for` keeps
    the sections built, by what they were built from, for the next audience of the same run.
    """
    timings = {} if timings is None else timings
    recent = published_within(articles, on, config.max_age_days)
    summary_settings = config.summary.model_copy(update={"sentences": audience.summary_sentences})
    key = (tuple(a.id for a in recent), tuple(a.id for a in history), summary_settings, config.grouping)
    sections = sections_for.get(key) if sections_for is not None else None
    if sections is None:
        sections = _summarised_and_grouped(config, recent, summary_settings, progress, timings, cache, history)
        if sections_for is not None:
            sections_for[key] = sections
    with _timed(timings, "group"):
        tailored = tailor(sections, audience)
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


def _summarised_and_grouped(config: Config, articles: Sequence[Article], settings: SummaryConfig,
                            progress: Progress | None, timings: dict[str, float], cache: SummaryCache | None,
                            history: Sequence[Article]) -> tuple[Section, ...]:
    with _timed(timings, "summarise"):
        summaries = summarise_all(articles, settings, _stage_progress(progress, "summarise", len(articles)),
                                  cache=cache)
    with _timed(timings, "group"):
        merged = merge_stories(articles, summaries, config.grouping.story_similarity, history=history)
        stories = [_with_overview_and_quotes(story, config.summary.overview_words) for story in merged]
        return tuple(build_sections(stories, config.grouping, history=history))


def _with_overview_and_quotes(story: Story, overview_words: int) -> Story:
    """A story told by several outlets is summarised from all of them; then its key quotes are chosen
    (after the summary, since quotes the summary already holds are ranked down)."""
    if len(story.articles) > 1:
        story = replace(story, summary=overview(story.articles, overview_words))
    return replace(story, quotes=tuple(key_quotes(story, _QUOTES_PER_STORY)))


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
