"""Local article files: plain text and Markdown with front matter, with optional sidecar metadata."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from markdown_it import MarkdownIt

from ..model import Article
from .html import headline_from_text, html_to_text
from .ids import stable_id

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown"}
SIDECAR_SUFFIX = ".meta.yaml"
METADATA_KEYS = {"id", "title", "source", "url", "published", "language"}
_MAX_HEADLINE_CHARS = 200
_markdown = MarkdownIt("commonmark")


class ArticleFileError(ValueError):
    """An article file whose metadata cannot be used as written."""


def read_article_file(path: Path, *, source: str, language: str, name: str | None = None) -> Article:
    """Read one .txt or .md file; metadata from front matter or a `<name>.meta.yaml` sidecar.

    Without an id or url in its metadata, the article's id comes from `source` and `name`
    (its path inside the source folder), so it stays the same from run to run.
    """
    raw = path.read_text(encoding="utf-8-sig")
    post = frontmatter.loads(raw)
    meta = {**_sidecar_metadata(path), **post.metadata}
    unknown = set(meta) - METADATA_KEYS
    if unknown:
        raise ArticleFileError(
            f"unknown metadata key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(METADATA_KEYS))}"
        )
    body = post.content
    if path.suffix in {".md", ".markdown"}:
        body = html_to_text(_markdown.render(body))
    title, text = _title_and_text(body, meta.get("title"))
    url = meta.get("url")
    return Article(
        id=str(meta.get("id") or stable_id(url or f"file:{source}/{name or path.name}")),
        title=title,
        text=text,
        source=str(meta.get("source") or source),
        url=str(url) if url else None,
        published=_published(meta.get("published"), path),
        language=str(meta.get("language") or language),
        origin=str(path),
    )


def _sidecar_metadata(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    data = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ArticleFileError(f"{sidecar.name} must be a mapping of metadata keys")
    return data


def _title_and_text(body: str, title: Any) -> tuple[str, str]:
    """Without a title in the metadata, a short first line followed by a blank line is the headline."""
    body = body.strip()
    if title:
        return str(title).strip(), body
    first, _, rest = body.partition("\n")
    if rest.startswith("\n") and len(first) <= _MAX_HEADLINE_CHARS and not first.rstrip().endswith("."):
        return first.strip(), rest.strip()
    return headline_from_text(body), body


def _published(value: Any, path: Path) -> datetime:
    if value is None:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise ArticleFileError(
                f"published: {value!r} is not a date; write it like 2025-03-12T09:30:00+00:00"
            ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
