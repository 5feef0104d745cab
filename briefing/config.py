"""The one configuration schema: every key declared once, with its type, default and help.

Loading validates the whole file at once and reports every problem together, each with
the file, line and key, so that a user fixes them in one pass.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .resources import bundled_config_file, bundled_seeds_dir

SUMMARY_ALGORITHMS = ("briefing", "lexrank", "luhn", "lsa", "textrank", "sumbasic", "kl", "lead")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Schema):
    path: Path | None = Field(None, description="A folder of article and feed files, or one such file.")
    url: str | None = Field(None, description="The address of an RSS, Atom or JSON feed.")
    opml: Path | None = Field(None, description="An OPML file whose feeds are all added as sources.")
    name: str | None = Field(None, description="Shown in the briefing; defaults to the feed title or file name.")
    tags: tuple[str, ...] = Field((), description="Free labels for selecting sources.")
    language: str | None = Field(None, description="Language of its articles when they do not say.")
    full_text: Literal["auto", "always", "never"] = Field(
        "auto", description="Fetch the article page: when the feed carries only a teaser, always, or never."
    )

    @model_validator(mode="after")
    def _exactly_one_location(self) -> SourceConfig:
        given = [key for key in ("path", "url", "opml") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of path, url or opml (got {', '.join(given) or 'none'})")
        if self.url is not None and urlsplit(self.url).scheme.lower() not in ("http", "https"):
            raise ValueError(f"url must start with http:// or https:// (got {self.url!r})")
        return self

    @property
    def key(self) -> str:
        """What identifies this source in the state database: its URL or resolved path."""
        return self.url or str(self.path or self.opml)

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.url:
            return urlsplit(self.url).netloc
        return (self.path or self.opml).name  # type: ignore[union-attr]


class FetchConfig(_Schema):
    user_agent: str | None = Field(None, description="Sent with every request; default names briefing and its version.")
    timeout_seconds: float = Field(30, gt=0, le=600, description="Overall deadline for one request, body included.")
    max_body_mb: float = Field(10, gt=0, le=500, description="Larger responses (after decompression) are refused.")
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(2, ge=0, le=10, description="Retries after connection errors, HTTP 5xx and 429.")
    retry_backoff_seconds: float = Field(1, ge=0, le=60, description="First pause before a retry; doubles each time.")
    per_host: int = Field(2, ge=1, le=16, description="Simultaneous requests to one host.")
    concurrency: int = Field(8, ge=1, le=64, description="Simultaneous requests in all.")
    allow_private: tuple[str, ...] = Field(
        (), description="Addresses or networks (CIDR) that may be fetched although private or loopback."
    )
    robots_txt: bool = Field(
        True, description="Fetch an article page only where its site's robots.txt allows; feeds are always fetched."
    )

    @field_validator("allow_private")
    @classmethod
    def _networks_parse(cls, networks: tuple[str, ...]) -> tuple[str, ...]:
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an IP address or network such as 10.0.0.0/8") from None
        return networks


class SummaryConfig(_Schema):
    algorithm: Literal[SUMMARY_ALGORITHMS] = Field(  # type: ignore[valid-type]
        "briefing", description="Extractive method: " + ", ".join(SUMMARY_ALGORITHMS) + "."
    )
    words: int = Field(
        50, ge=0, le=1000,
        description="Word budget of an article summary, in whole sentences (see budget_rule; 0: no budget).",
    )
    budget_rule: Literal["overrun", "strict"] = Field(
        "overrun",
        description="overrun: whole sentences are added while the summary is under the budget, the last may run "
        "past it, up to 1.5 times the budget; strict: whole sentences only while they fit the budget.",
    )
    sentences: int = Field(2, ge=1, le=20, description="At most this many sentences per article summary.")
    keep_lede: bool = Field(
        False, description="Open every summary with the article's first sentence, which sets the scene."
    )
    max_input_sentences: int = Field(
        80, ge=3, le=1000,
        description="Only the first N sentences are read, so a huge article is summarised in bounded time.",
    )
    overview_words: int = Field(
        80, ge=10, le=1000,
        description="Word budget of a story's overview drawn from all of its articles.",
    )


class SectionConfig(_Schema):
    name: str = Field(min_length=1, description="The section heading.")
    keywords: tuple[str, ...] = Field(min_length=1, description="Words or phrases that put a story here.")


class GroupingConfig(_Schema):
    story_similarity: float = Field(
        0.07, gt=0, le=1,
        description="Articles on average at least this similar (TF-IDF cosine, average linkage) are merged as one "
                    "story; the cosine for teasers, longer texts must be more alike.",
    )
    sections: tuple[SectionConfig, ...] = Field(
        (), description="Configured sections; when empty, sections are found automatically."
    )
    section_similarity: float = Field(
        0.04, gt=0, le=1,
        description="A story joins a section only when at least this similar (TF-IDF cosine) to its other stories.",
    )
    other_section: str = Field("Other news", min_length=1, description="Heading for stories that fit no section.")


class OutputConfig(_Schema):
    dir: Path = Field(Path("out"), description="Briefings go to <dir>/<audience>/<date>.<format>.")
    formats: tuple[Literal["html", "pdf"], ...] = Field(("html", "pdf"), min_length=1)
    keep_days: int | None = Field(
        None, ge=1, description="Delete archived briefings older than N days (default: keep them all)."
    )


class EmailConfig(_Schema):
    host: str | None = Field(None, description="SMTP server; null turns email off.")
    port: int | None = Field(None, ge=1, le=65535, description="Default: 587 for starttls, 465 for ssl, 25 for none.")
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="starttls or ssl (the certificate is always verified), or none (a local relay)."
    )
    ca_file: Path | None = Field(None, description="PEM certificates to trust for the server (a private CA).")
    username_env: str | None = Field(None, description="Name of the environment variable holding the user name.")
    password_env: str | None = Field(None, description="Name of the environment variable holding the password.")
    sender: str = Field("briefing@localhost", description="The From address, e.g. 'Desk <desk@example.org>'.")
    max_attachment_mb: float = Field(
        10, gt=0, description="A larger PDF is not attached; the message says where it is instead."
    )
    archive_url: str | None = Field(
        None, description="Where out/ is published (https://...), to link a PDF too large to attach."
    )
    retries: int = Field(3, ge=0, le=20, description="Retries after temporary failures (4xx, disconnects).")
    retry_backoff_seconds: float = Field(5, ge=0, le=3600, description="First pause before a retry; doubles.")
    timeout_seconds: float = Field(60, gt=0, le=600)

    @property
    def enabled(self) -> bool:
        return self.host is not None


class SchedulerConfig(_Schema):
    collect_every_minutes: int | None = Field(
        60, ge=1, description="Collect from all sources this often between briefings; null: only at briefing time."
    )
    misfire_grace_hours: float | None = Field(
        36, gt=0,
        description="A briefing missed while the scheduler was down runs once on restart if at most this late "
                    "(missed runs are merged into one, so this counts from the latest); null: however late.",
    )
    job_deadline_minutes: float = Field(
        30, gt=0, description="A job still running after this long is stopped, so the next one still runs."
    )


_AUDIENCE_NAME = r"^[a-z0-9][a-z0-9_-]*$"


class AudienceSettings(_Schema):
    """What an audience may set; a key left out comes from `audience_defaults`, then the built-in default."""

    title: str | None = Field(None, min_length=1, description="Masthead title (default: the top-level title).")
    template_set: str | None = Field(
        None, pattern=_AUDIENCE_NAME,
        description="Template set: a folder under templates/ (bundled: default, executive, email).",
    )
    sources: tuple[str, ...] | None = Field(None, description="Only sources with these names or tags (default: all).")
    include: tuple[str, ...] | None = Field(None, description="Only stories that mention one of these words or phrases.")
    exclude: tuple[str, ...] | None = Field(None, description="Never stories that mention one of these.")
    sections: tuple[str, ...] | None = Field(None, description="Only these sections (default: all).")
    pinned_sections: tuple[str, ...] | None = Field(None, description="These sections first, in this order.")
    hidden_sections: tuple[str, ...] | None = Field(None, description="Sections this audience never sees.")
    max_sections: int | None = Field(None, ge=1, description="At most this many sections.")
    max_stories_per_section: int | None = Field(None, ge=1, description="At most this many stories in each section.")
    summary_sentences: int | None = Field(None, ge=1, le=20, description="Sentences per summary (default: summary.sentences).")
    formats: tuple[Literal["html", "pdf"], ...] | None = Field(None, min_length=1, description="Default: output.formats.")
    schedule: str | None = Field(None, description="When it is built, as a cron line: minute hour day month weekday.")
    timezone: str | None = Field(None, description="Time zone of the schedule, e.g. Europe/Berlin (default: UTC).")
    recipients: tuple[str, ...] | None = Field(None, description="Email addresses it is sent to.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not a time zone name such as Europe/Berlin or UTC") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a cron line such as '0 7 * * 1-5' ({exc})") from None
        return value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for address in value or ():
            if "@" not in address.strip("@") or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not an email address")
        return value


class AudienceConfig(AudienceSettings):
    name: str = Field(pattern=_AUDIENCE_NAME, description="Short name: the output folder out/<name>/.")


@dataclass(frozen=True)
class Audience:
    """One audience with every setting resolved: its own, else audience_defaults, else the built-in default."""

    name: str
    title: str
    template_set: str
    sources: tuple[str, ...] | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    sections: tuple[str, ...] | None
    pinned_sections: tuple[str, ...]
    hidden_sections: tuple[str, ...]
    max_sections: int | None
    max_stories_per_section: int | None
    summary_sentences: int
    formats: tuple[str, ...]
    schedule: str | None
    timezone: str
    recipients: tuple[str, ...]


class Config(_Schema):
    title: str = Field("Daily Briefing", min_length=1, description="The masthead title.")
    language: str = Field("en", description="Default language of articles.")
    sources: tuple[SourceConfig, ...] = Field(
        default_factory=lambda: (SourceConfig(path=bundled_seeds_dir(), name="Bundled samples"),),
        min_length=1,
    )
    max_age_days: int | None = Field(
        None, ge=1, description="Leave out articles published more than N days before the briefing date."
    )
    summary: SummaryConfig = SummaryConfig()
    grouping: GroupingConfig = GroupingConfig()
    output: OutputConfig = OutputConfig()
    templates: Path | None = Field(None, description="A folder whose templates override the bundled ones.")
    fetch: FetchConfig = FetchConfig()
    email: EmailConfig = EmailConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    audience_defaults: AudienceSettings = AudienceSettings()
    audiences: tuple[AudienceConfig, ...] = Field(
        (AudienceConfig(name="default"),), min_length=1,
        description="One briefing per audience, each with its own content and templates.",
    )
    state: Path = Field(
        Path("briefing-state.sqlite"),
        description="The SQLite file that remembers every article seen and delivered, and each source's health.",
    )

    @model_validator(mode="after")
    def _audience_names_unique(self) -> Config:
        names = [a.name for a in self.audiences]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"audience names must differ; repeated: {', '.join(repeated)}")
        return self

    def audience(self, name: str) -> Audience:
        for audience in self.resolved_audiences():
            if audience.name == name:
                return audience
        known = ", ".join(a.name for a in self.audiences)
        raise ConfigError(f"no audience named {name!r}; the configured audiences are: {known}.")

    def resolved_audiences(self) -> list[Audience]:
        return [self._resolve(a) for a in self.audiences]

    def _resolve(self, audience: AudienceConfig) -> Audience:
        """Each setting: the audience's own, else audience_defaults', else the fallback here (None if not listed)."""
        fallbacks = {
            "title": self.title, "template_set": "default", "include": (), "exclude": (),
            "pinned_sections": (), "hidden_sections": (), "summary_sentences": self.summary.sentences,
            "formats": self.output.formats, "timezone": "UTC", "recipients": (),
        }
        chosen = {
            key: next((v for v in (getattr(audience, key), getattr(self.audience_defaults, key)) if v is not None),
                      fallbacks.get(key))
            for key in AudienceSettings.model_fields
        }
        return Audience(name=audience.name, **chosen)

    def with_paths_relative_to(self, base: Path) -> Config:
        """Resolve every relative path against `base`, the config file's folder."""
        resolve = lambda p: p if p.is_absolute() else (base / p).resolve()  # noqa: E731
        return self.model_copy(update={
            "sources": tuple(
                s.model_copy(update={k: resolve(getattr(s, k)) for k in ("path", "opml") if getattr(s, k)})
                for s in self.sources
            ),
            "state": resolve(self.state),
            "output": self.output.model_copy(update={"dir": resolve(self.output.dir)}),
            "templates": resolve(self.templates) if self.templates else None,
            "email": self.email.model_copy(
                update={"ca_file": resolve(self.email.ca_file) if self.email.ca_file else None}),
        })


def load_config(path: Path | None) -> Config:
    """Read and validate a config file.

    `None` reads the bundled config.yaml (the bundled seeds, with their sections), writing
    its output under the current folder rather than inside the installed package.
    """
    if path is None:
        config = load_config(bundled_config_file())
        out = Path.cwd() / "out"
        return config.model_copy(update={
            "output": config.output.model_copy(update={"dir": out}),
            "state": out / "briefing-state.sqlite",
        })
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror}).") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)}).") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys (title:, sources:, ...).")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(path, text, exc)) from exc
    return config.with_paths_relative_to(path.parent.resolve())


def _describe_errors(path: Path, text: str, exc: ValidationError) -> str:
    lines = _key_lines(text)
    problems = []
    for error in _without_echoes(exc.errors()):
        loc = tuple(error["loc"])
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = _nearest_line(lines, loc)
        where = f"{path}, line {line}" if line else str(path)
        problems.append(f"  {where}, {key}: {_explain(error, loc)}")
    count = len(problems)
    header = f"{path}: {count} problem{'s' if count > 1 else ''} in the configuration:"
    return "\n".join([header, *problems, "See the comments in the bundled config.yaml for every key."])


def _without_echoes(errors: list[Any]) -> list[Any]:
    """Pydantic also calls a list "too short" when it was only one of its items that was wrong."""
    bad_items = {tuple(e["loc"][:i]) for e in errors for i, part in enumerate(e["loc"]) if isinstance(part, int)}
    return [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in bad_items)]


def _explain(error: dict[str, Any], loc: tuple) -> str:
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        return f"unknown key; the keys allowed here are: {', '.join(known)}."
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    return f"{error['msg']}{shown}."


def _known_keys(parent: tuple) -> list[str]:
    model: Any = Config
    for part in parent:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return sorted(model.model_fields)


def _key_lines(text: str) -> dict[tuple, int]:
    """Map each key path in a YAML document to the 1-based line where it stands."""
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node, loc: tuple) -> None:
        lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*loc, key.value))
                lines[(*loc, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None
