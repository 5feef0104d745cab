"""Render: one Jinja2 template set gives the HTML and, through WeasyPrint, the PDF.

Article text is untrusted: autoescape is on, links are limited to http(s), and WeasyPrint
gets a URL fetcher that refuses everything but the template's own files and data: URLs
(its default would read any file:// URL, and `<a rel=attachment>` would embed it).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from .errors import RenderError
from .model import Briefing

MAIN_TEMPLATE = "briefing.html"
_LINK_SCHEMES = {"http", "https"}


@dataclass(frozen=True)
class Rendered:
    html: str
    pdf: bytes | None


def template_environment(search_path: list[Path]) -> jinja2.Environment:
    """Templates are looked up in order: the first folder holding a file of that name wins."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in search_path]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(link=safe_link, longdate=_long_date, shortdate=_short_date)
    return env


def render(briefing: Briefing, env: jinja2.Environment, *, pdf: bool) -> Rendered:
    html = render_html(briefing, env)
    return Rendered(html=html, pdf=html_to_pdf(html, _search_path(env)) if pdf else None)


def render_html(briefing: Briefing, env: jinja2.Environment) -> str:
    try:
        return env.get_template(MAIN_TEMPLATE).render(briefing=briefing)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name}, line {exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {exc.name} not found in {', '.join(map(str, _search_path(env)))}") from exc
    except Exception as exc:  # an error raised while a template runs: point at its line
        raise RenderError(f"{_template_location(exc)}: {type(exc).__name__}: {exc}") from exc


def html_to_pdf(html: str, allowed_roots: list[Path]) -> bytes:
    from .pdf import write_pdf  # WeasyPrint is slow to import; only PDF output needs it

    return write_pdf(html, allowed_roots)


def safe_link(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None: feeds may carry file: or javascript: links."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in _LINK_SCHEMES and parts.netloc else None


def _search_path(env: jinja2.Environment) -> list[Path]:
    return [Path(p) for p in env.loader.searchpath]  # type: ignore[union-attr]


def _template_location(exc: Exception) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css", ".j2"))]
    if not frames:
        return "template"
    return f"{frames[-1].filename}, line {frames[-1].lineno}"


def _long_date(value: date | datetime) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def _short_date(value: date | datetime | None) -> str:
    return "" if value is None else f"{value.day} {value:%b %Y}"
