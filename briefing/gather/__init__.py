"""Gather: a local source (folder or file of articles and feeds) read into Articles; a failing file becomes a Problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import SourceConfig
from ..model import Article, Problem
from .feeds import FeedParseError, parse_feed
from .files import ARTICLE_SUFFIXES, ArticleFileError, read_article_file

FEED_SUFFIXES = {".rss", ".atom", ".xml", ".rdf", ".feed", ".json"}


@dataclass(frozen=True)
class Gathered:
    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]


def read_local_source(source: SourceConfig, default_language: str, index: int | None = None) -> Gathered:
    """The articles of one folder or file source; an unreadable file becomes a Problem, the rest is read."""
    assert source.path is not None
    if not source.path.exists():
        key = f"sources[{index}].path" if index is not None else "its path"
        return Gathered((), (Problem(source.display_name, (
            f"{source.path} does not exist; correct {key} in the configuration."
        )),))
    articles: list[Article] = []
    problems: list[Problem] = []
    for path in _readable_files(source.path):
        try:
            articles.extend(_read(path, source, default_language))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(Problem(source.display_name, f"{path}: {_reason(exc)}"))
    return Gathered(tuple(articles), tuple(problems))


def _readable_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        and p.suffix.lower() in ARTICLE_SUFFIXES | FEED_SUFFIXES
        and not p.stem.lower().startswith("readme")
    )


def _read(path: Path, source: SourceConfig, default_language: str) -> list[Article]:
    language = source.language or default_language
    if path.suffix.lower() in FEED_SUFFIXES:
        # In a folder of feeds each feed names its own outlet; a source that is one feed may rename it.
        outlet = source.name if path == source.path else None
        return list(parse_feed(path.read_bytes(), source=outlet, origin=str(path), language=language).articles)
    name = path.relative_to(source.path).as_posix() if path != source.path else path.name
    return [read_article_file(path, source=source.display_name, language=language, name=name)]


def _reason(exc: Exception) -> str:
    if isinstance(exc, (FeedParseError, ArticleFileError)):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text; save it as UTF-8"
    if isinstance(exc, OSError):
        return f"cannot read ({exc.strerror})"
    return f"{type(exc).__name__}: {exc}"
