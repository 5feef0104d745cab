"""The `briefing` command: parses flags, shows progress, and calls the library."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import click

from . import __version__
from .config import Config, load_config
from .errors import BriefingError
from .collect import collect as collect_sources
from .collect import expand_sources
from .model import Problem
from .pipeline import run as run_pipeline
from .state import open_store

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
def run(config_path: Path | None, out: Path | None, formats: str | None, on, since, no_collect: bool) -> None:
    """Collect, then summarise, group and render everything new since the last briefing."""
    with _reporting_errors():
        config = _config_with_flags(_load(config_path), out, formats)
        result = run_pipeline(
            config, on.date() if on else None, progress=_ProgressBar(),
            since=since.replace(tzinfo=timezone.utc) if since else None, collect_first=not no_collect,
        )
    briefing = result.briefing
    for problem in briefing.problems:
        click.secho(f"warning: {_describe(problem)}", fg="yellow", err=True)
    click.echo(f"{briefing.title} for {briefing.date}: {briefing.story_count} stories from "
               f"{briefing.article_count} articles in {len(briefing.sections)} sections.")
    if briefing.article_count == 0 and since is None:
        click.echo("Nothing new since the last briefing. Use --since YYYY-MM-DD to include earlier articles.")
    for path in result.written:
        click.echo(f"wrote {path}")


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


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def _load(config_path: Path | None) -> Config:
    if config_path is None and Path("config.yaml").is_file():
        config_path = Path("config.yaml")
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
