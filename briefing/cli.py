"""The `briefing` command: parses flags, shows progress, and calls the library."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

import click

from . import __version__
from .config import Config, load_config
from .errors import BriefingError
from .pipeline import run as run_pipeline

FORMATS = ("html", "pdf")


@click.group()
@click.version_option(__version__, prog_name="briefing")
@click.option("-v", "--verbose", is_flag=True, help="Show details of each stage.")
def main(verbose: bool) -> None:
    """Build daily news briefings from feeds and article files."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s")


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: ./config.yaml, else the bundled samples).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output folder (overrides output.dir).")
@click.option("--format", "formats", help="Comma-separated output formats: html,pdf.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Briefing date, YYYY-MM-DD (default: today).")
def run(config_path: Path | None, out: Path | None, formats: str | None, on) -> None:
    """Gather, summarise, group and render today's briefing."""
    try:
        config = _config_with_flags(_load(config_path), out, formats)
        result = run_pipeline(config, on.date() if on else date.today(), progress=_ProgressBar())
    except BriefingError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(exc.exit_code)
    briefing = result.briefing
    for problem in briefing.problems:
        click.secho(f"warning: {problem.source}: {problem.message}", fg="yellow", err=True)
    click.echo(f"{briefing.title} for {briefing.date}: {briefing.story_count} stories from "
               f"{briefing.article_count} articles in {len(briefing.sections)} sections.")
    for path in result.written:
        click.echo(f"wrote {path}")


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
