"""The `briefing` command: parses flags, shows progress, and calls the library."""

from __future__ import annotations

import functools
import http.server
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import click

from . import __version__
from .config import Config, load_config
from .errors import BriefingError
from .collect import collect as collect_sources
from .collect import expand_sources
from .model import Problem
from .errors import ConfigError, DeliveryError
from .schedule import next_runs, serve
from .templates import copy_template_set, resolve_template_files
from .state import open_store

# The pipeline (scikit-learn, sumy, Jinja2) takes seconds to import. Only the commands that build
# briefings import it, so `collect` (run hourly), `sources` and `schedule --list` start at once.

FORMATS = ("html", "pdf")


@click.group()
@click.version_option(__version__, prog_name="briefing")
@click.option("-v", "--verbose", is_flag=True, help="Show details of each stage.")
def main(verbose: bool) -> None:
    """Build daily news briefings from feeds and article files."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s")


_CONFIG_OPTION = click.option(
    "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration file (default: ./config.yaml, else the bundled samples).",
)


@main.command()
@_CONFIG_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output folder (overrides output.dir).")
@click.option("--format", "formats", help="Comma-separated output formats: html,pdf.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Briefing date, YYYY-MM-DD (default: today).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              help="Take every stored article published since then (UTC), delivered before or not.")
@click.option("--no-collect", is_flag=True, help="Do not read the sources first; use only what is stored.")
@click.option("--audience", "audiences", multiple=True, help="Only this audience (repeatable; default: all).")
@click.option("--send", is_flag=True, help="Email each audience that has recipients (see email: in the config).")
def run(config_path: Path | None, out: Path | None, formats: str | None, on, since, no_collect: bool,
        audiences: tuple[str, ...], send: bool) -> None:
    """Collect, then build each audience's briefing from everything new since its last one."""
    from .pipeline import run as run_pipeline  # slow to import: see the note under the imports

    with _reporting_errors():
        config = _config_with_flags(_load(config_path), out, formats)
        result = run_pipeline(
            config, on.date() if on else None, progress=_ProgressBar(), audiences=audiences or None,
            since=since.replace(tzinfo=timezone.utc) if since else None, collect_first=not no_collect,
            send=send,
        )
    for problem in result.briefing.problems:
        click.secho(f"warning: {_describe(problem)}", fg="yellow", err=True)
    for edition in result.editions:
        briefing = edition.briefing
        click.echo(f"{edition.audience.name}: {briefing.title} for {briefing.date}: "
                   f"{_count(briefing.story_count, 'story', 'stories')} from "
                   f"{_count(briefing.article_count, 'article')} in {_count(len(briefing.sections), 'section')}.")
        if briefing.article_count == 0 and since is None:
            click.echo("  Nothing new since the last briefing. Use --since YYYY-MM-DD to include earlier articles.")
        for path in edition.written:
            click.echo(f"  kept {path}: made earlier from the same content" if path in edition.kept
                       else f"  wrote {path}")
        if edition.email:
            click.secho(f"  email: {edition.email}", fg="red" if edition.error else None)
    if result.failed:
        click.secho(f"error: {len(result.failed)} audience(s) not delivered; their articles stay undelivered "
                    "and come in the next run.", fg="red", err=True)
        sys.exit(DeliveryError.exit_code)


@main.command()
@_CONFIG_OPTION
@click.option("--audience", required=True, help="The audience whose briefing to send.")
@click.option("--date", "on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Its date, YYYY-MM-DD.")
def send(config_path: Path | None, audience: str, on) -> None:
    """Send an archived briefing by email again, on purpose (a new message, even if sent before)."""
    from .pipeline import resend  # slow to import: see the note under the imports

    with _reporting_errors():
        edition = resend(_load(config_path), audience, on.date())
    click.echo(f"{audience}: {on.date()}: {edition.email}")


@main.command()
@_CONFIG_OPTION
@click.option("--audience", default=None, help="The audience to preview (default: the first).")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Briefing date (default: today).")
@click.option("--serve", is_flag=True, help="Also serve it on http://127.0.0.1 until Ctrl-C.")
@click.option("--port", default=0, show_default="any free port", help="Port for --serve.")
def preview(config_path: Path | None, audience: str | None, on, serve: bool, port: int) -> None:
    """Write an audience's HTML from the stored articles, marking nothing delivered, and show where."""
    from .pipeline import preview_edition  # slow to import: see the note under the imports

    with _reporting_errors():
        config = _load(config_path)
        name = audience or config.audiences[0].name
        path = preview_edition(config, name, on.date() if on else date.today())
    click.echo(f"{name}: preview written to {path}")
    click.echo(path.resolve().as_uri())
    if serve:
        _serve(path, port)


@main.command()
@_CONFIG_OPTION
@click.option("--list", "list_only", is_flag=True, help="Print each job's next run and exit.")
def schedule(config_path: Path | None, list_only: bool) -> None:
    """Run the audiences' briefings on their schedules, and the collection, until stopped (SIGTERM/Ctrl-C)."""
    with _reporting_errors():
        path = _config_path(config_path)
        if path is None:
            raise ConfigError("briefing schedule needs a config file (--config, or ./config.yaml): its jobs "
                              "run `briefing run --config` with it.")
        config = load_config(path)
        if list_only:
            for job_id, name, when in next_runs(config, path.resolve()):
                shown = when.astimezone().strftime("%Y-%m-%d %H:%M %Z") if when else "paused"
                click.echo(f"{shown:<22} {name}  [{job_id}]")
            return
        if not any(a.schedule for a in config.resolved_audiences()):
            click.secho("warning: no audience has a schedule: only the collection will run.", fg="yellow", err=True)
        _log_with_times(("briefing", "apscheduler"))
        click.echo(f"scheduler started for {path} (state {config.state}); Ctrl-C or SIGTERM stops it.", err=True)
        serve(config, path.resolve())


@main.group()
def templates() -> None:
    """Template sets: list what each audience uses, or start a new set from an existing one."""


@templates.command("list")
@_CONFIG_OPTION
def templates_list(config_path: Path | None) -> None:
    """For each audience, every template file it uses and which folder it comes from."""
    from .pipeline import template_search_path, template_sets  # slow to import: see the note under the imports

    with _reporting_errors():
        config = _load(config_path)
        click.echo(f"Template sets: {', '.join(template_sets(config))}")
        for audience in config.resolved_audiences():
            search_path = template_search_path(config, audience)
            click.echo(f"\n{audience.name} (set {audience.template_set}), looked up in order:")
            for folder in search_path:
                click.echo(f"  {folder}")
            for name, winner, hidden in resolve_template_files(search_path):
                shadowed = f"  (overrides {', '.join(str(h) for h in hidden)})" if hidden else ""
                click.echo(f"  {name:<16} {winner}{shadowed}")


@templates.command("new")
@_CONFIG_OPTION
@click.argument("name")
@click.option("--from", "origin", default="default", show_default=True, help="The set to copy.")
def templates_new(config_path: Path | None, name: str, origin: str) -> None:
    """Copy a template set into <templates>/NAME to edit (templates: in the config, else ./templates)."""
    with _reporting_errors():
        config = _load(config_path)
        target = copy_template_set(config, origin, name)
    click.echo(f"copied the {origin!r} set to {target}")
    if config.templates is None:
        click.echo(f"Add  templates: {target.parent}  to the config, and  template_set: {name}  to an audience.")
    else:
        click.echo(f"Use it with  template_set: {name}  in an audience.")


@main.command()
@_CONFIG_OPTION
def collect(config_path: Path | None) -> None:
    """Read every source and store new articles, without rendering (run it e.g. hourly)."""
    with _reporting_errors():
        config = _load(config_path)
        with open_store(config.state) as store:
            report = collect_sources(config, store)
            total = store.article_count()
    for source in report.sources:
        line = f"{source.name}: {source.status}"
        if source.seen or source.new:
            line += f", {source.seen} items, {source.new} new" + (f", {source.updated} updated" if source.updated else "")
        click.secho(line, fg="red" if source.failed else None)
        if source.error:
            click.secho(f"  {source.error}", fg="red", err=True)
        for warning in source.warnings:
            click.secho(f"  warning: {warning}", fg="yellow", err=True)
    for problem in report.problems:
        click.secho(f"warning: {_describe(problem)}", fg="yellow", err=True)
    click.echo(f"Collected {report.new} new articles from {len(report.sources)} sources "
               f"({len(report.failed)} failed); {total} stored in {config.state}.")


@main.command()
@_CONFIG_OPTION
def sources(config_path: Path | None) -> None:
    """List each source's health: last success, last error, and since when it fails."""
    with _reporting_errors():
        config = _load(config_path)
        configured, problems = expand_sources(config.sources)
        with open_store(config.state) as store:
            health = {h.key: h for h in store.all_source_health()}
    for source in configured:
        h = health.get(source.key)
        name = h.name if h else source.display_name
        if h is None:
            click.echo(f"never collected  {name}  ({source.key})")
            continue
        if h.healthy:
            click.echo(f"ok               {name}  last read {_when(h.last_success)}, "
                       f"{h.last_item_count if h.last_item_count is not None else '?'} items ({source.key})")
        else:
            click.secho(f"FAILING x{h.consecutive_failures:<6} {name}  since {_when(h.failing_since)}: "
                        f"{h.last_error} ({source.key})", fg="red")
    for problem in problems:
        click.secho(f"warning: {_describe(problem)}", fg="yellow", err=True)


@contextmanager
def _reporting_errors() -> Iterator[None]:
    try:
        yield
    except BriefingError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(exc.exit_code)


def _describe(problem: Problem) -> str:
    since = f" (failing since {_when(problem.since)})" if problem.since else ""
    return f"{problem.source}: {problem.message}{since}"


def _log_with_times(names: tuple[str, ...]) -> None:
    """A long-running command logs what it does, with the time of each line."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in names:
        logging.getLogger(name).setLevel(logging.INFO)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


def _serve(path: Path, port: int) -> None:
    """Serve the preview's folder on 127.0.0.1 only, until interrupted."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"serving http://127.0.0.1:{server.server_port}/{path.name}  (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def _config_path(config_path: Path | None) -> Path | None:
    if config_path is None and Path("config.yaml").is_file():
        return Path("config.yaml")
    return config_path


def _load(config_path: Path | None) -> Config:
    config_path = _config_path(config_path)
    if config_path is None:
        click.echo("No config.yaml here: using the bundled sample articles.", err=True)
    return load_config(config_path)


def _config_with_flags(config: Config, out: Path | None, formats: str | None) -> Config:
    output = config.output
    if out is not None:
        output = output.model_copy(update={"dir": out.resolve()})
    if formats is not None:
        chosen = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
        unknown = [f for f in chosen if f not in FORMATS]
        if unknown or not chosen:
            raise click.BadParameter(f"{formats!r}: choose from {', '.join(FORMATS)}", param_hint="--format")
        output = output.model_copy(update={"formats": chosen})
        # The flag wins over every audience's own formats.
        return config.model_copy(update={
            "output": output,
            "audience_defaults": config.audience_defaults.model_copy(update={"formats": chosen}),
            "audiences": tuple(a.model_copy(update={"formats": None}) for a in config.audiences),
        })
    return config.model_copy(update={"output": output})


class _ProgressBar:
    """A progress bar on stderr for long stages, when stderr is a terminal."""

    def __init__(self) -> None:
        self._bar = None
        self._stage = None
        self._enabled = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self._enabled or total < 50:
            return
        if stage != self._stage:
            self._close()
            self._stage = stage
            self._bar = click.progressbar(length=total, label=stage.capitalize(), file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)
        if done >= total:
            self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
