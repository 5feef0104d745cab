"""Render: one Jinja2 template set gives the HTML and, through WeasyPrint, the PDF.

Templates are found on a search path (an audience's own folder, its set, the bundled set,
the bundled `default/`): the first folder holding a file of that name wins. Every bundled
set can also be named with its folder as a prefix, so an override of `briefing.html` can
`{% extends "default/briefing.html" %}` and replace only some blocks; a plain
`{% extends "briefing.html" %}` there would name the override itself.

Article text is untrusted: autoescape is on, links are limited to http(s), and WeasyPrint
gets a URL fetcher that refuses everything but the template folders' files and data: URLs
(its default would read any file:// URL, and `<a rel=attachment>` would embed it).
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from . import __version__
from .errors import RenderError
from .model import Briefing, Story, SummarySentence
from .resources import bundled_templates_dir

MAIN_TEMPLATE = "briefing.html"
# Two runs on the same articles differ only in the time of rendering; a fingerprint is taken at this one.
_FINGERPRINT_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)
_LINK_SCHEMES = {"http", "https"}
# A number with what makes it a figure: "$2.6 billion", "18%", "1.4-gigawatt", "2,000", "5–4".
_FIGURE = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d(?:[\d,.]*\d)?(?:[–:-]\d(?:[\d,.]*\d)?)?"
    r"(?:\s?(?:%|per ?cent|percent|million|billion|trillion|bn|m\b|km|GW|MW|kWh|kg|points?|-[a-z]+))?(?!\w)"
)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
          r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b")
_MONTH_BEFORE = re.compile(_MONTH + r"\.?\s*$")
_MONTH_AFTER = re.compile(r"\s*" + _MONTH)


@dataclass(frozen=True)
class Rendered:
    html: str
    pdf: bytes | None
    pdf_fingerprint: str | None = None  # of everything the PDF is made of (`pdf_fingerprint`)
    pdf_kept: bool = False  # the PDF is an earlier one of the same fingerprint, not made again


class TemplateLoader(jinja2.ChoiceLoader):
    """Plain names ("story.html") along the search path; "<set>/<file>" names a bundled set's own file."""

    def __init__(self, search_path: list[Path], bundled_root: Path) -> None:
        self.search_path = [Path(p) for p in search_path]
        self.bundled_root = Path(bundled_root)
        bundled_sets = {d.name: jinja2.FileSystemLoader(str(d)) for d in sorted(self.bundled_root.iterdir())
                        if d.is_dir() and not d.name.startswith((".", "_"))}
        # The prefixed names come first so that "default/briefing.html" always means the bundled file,
        # whatever subfolders a user's own template folder holds.
        super().__init__([jinja2.PrefixLoader(bundled_sets, delimiter="/"),
                          jinja2.FileSystemLoader([str(p) for p in self.search_path])])

    @property
    def folders(self) -> list[Path]:
        """Every folder a template or a file it links to may come from: the search path, the bundled root."""
        return [*self.search_path, self.bundled_root]


def template_environment(search_path: list[Path]) -> jinja2.Environment:
    """Templates are looked up in order: the first folder holding a file of that name wins."""
    env = jinja2.Environment(
        loader=TemplateLoader(search_path, bundled_templates_dir()),
        # Article text is untrusted: escaped in every template but plain-text ones (briefing.txt).
        autoescape=jinja2.select_autoescape(disabled_extensions=("txt",), default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        link=safe_link, longdate=_long_date, shortdate=_short_date, plural=plural,
        top_stories=top_stories, within=within, figures=mark_figures, outlet_counts=outlet_counts,
    )
    return env


def render(
    briefing: Briefing,
    env: jinja2.Environment,
    *,
    pdf: bool,
    earlier_pdf: Callable[[str], bytes | None] = lambda fingerprint: None,
) -> Rendered:
    """The HTML and, with `pdf`, the PDF; `earlier_pdf(fingerprint)` may give a PDF made before from
    the same fingerprint, which is then kept instead of laid out again (the slow part of a run)."""
    html = render_html(briefing, env)
    if not pdf:
        return Rendered(html=html, pdf=None)
    fingerprint = pdf_fingerprint(briefing, env)
    earlier = earlier_pdf(fingerprint)
    if earlier is not None:
        return Rendered(html=html, pdf=earlier, pdf_fingerprint=fingerprint, pdf_kept=True)
    return Rendered(html=html, pdf=html_to_pdf(html, template_folders(env)), pdf_fingerprint=fingerprint)


def pdf_fingerprint(briefing: Briefing, env: jinja2.Environment) -> str:
    """A hash of what a PDF of the briefing is made of: its HTML (rendered at a fixed time of
    rendering), every file in the folders the PDF renderer may read, and the versions of briefing and
    WeasyPrint. Equal fingerprints give the same PDF."""
    digest = hashlib.sha256(f"briefing {__version__}, WeasyPrint {version('weasyprint')}\n".encode())
    digest.update(render_html(replace(briefing, generated_at=_FINGERPRINT_TIME), env).encode("utf-8"))
    # the bundled root holds the bundled sets' folders too: each file is read once
    files = {path.resolve() for folder in template_folders(env) for path in folder.rglob("*") if path.is_file()}
    for path in sorted(files):
        digest.update(f"\n{path} {path.stat().st_size}\n".encode("utf-8", "surrogateescape"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def render_html(briefing: Briefing, env: jinja2.Environment) -> str:
    return render_page(env, MAIN_TEMPLATE, briefing=briefing)


def render_page(env: jinja2.Environment, template: str, **context: object) -> str:
    """Render one template; any error becomes a RenderError naming the template file and line."""
    folders = template_folders(env)
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name}, line {exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        where = _template_location(exc, folders)
        searched = ", ".join(map(str, folders[:-1]))
        raise RenderError(
            f"{where + ': ' if where else ''}template {exc.name} not found in {searched}"
            " (a bundled set's own file is named <set>/<file>, e.g. default/story.html)"
        ) from exc
    except RecursionError as exc:
        frame = _template_frame(exc, folders)
        name = Path(frame.filename).name if frame else template
        raise RenderError(
            f"{_template_location(exc, folders) or name}: the template extends or includes itself. To build "
            f"on the bundled file of that name, name it with its set: {{% extends \"default/{name}\" %}}"
        ) from None  # the traceback of a recursion is thousands of frames long
    except Exception as exc:  # an error raised while a template runs: point at its line
        where = _template_location(exc, folders) or "template"
        raise RenderError(f"{where}: {type(exc).__name__}: {exc}") from exc


def html_to_pdf(html: str, allowed_roots: list[Path]) -> bytes:
    from .pdf import write_pdf  # WeasyPrint is slow to import; only PDF output needs it

    return write_pdf(html, allowed_roots)


def template_folders(env: jinja2.Environment) -> list[Path]:
    """The folders the environment's templates come from: what the PDF renderer may read."""
    loader = env.loader
    if not isinstance(loader, TemplateLoader):
        raise RenderError("the template environment must come from briefing.render.template_environment")
    return loader.folders


# --- filters the templates use ------------------------------------------------------------

def safe_link(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None: feeds may carry file: or javascript: links."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in _LINK_SCHEMES and parts.netloc else None


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 story', '3 stories'."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def top_stories(briefing: Briefing, limit: int | None = None) -> list[Story]:
    """Stories told by the most outlets first, then in the order of the briefing (section, then story)."""
    ordered = [story for section in briefing.sections for story in section.stories]
    ranked = sorted(ordered, key=lambda story: -len(story.articles))  # stable: keeps the briefing's order
    return ranked if limit is None else ranked[:limit]


def within(sentences: Iterable[SummarySentence | str], limit: int) -> str:
    """The leading sentences that fit in `limit` characters; a first one too long alone is cut at a word."""
    text = ""
    for sentence in sentences:
        piece = sentence.text if isinstance(sentence, SummarySentence) else str(sentence)
        joined = f"{text} {piece}".strip()
        if len(joined) <= limit:
            text = joined
        elif not text:
            return _cut_at_word(piece, limit)
        else:
            break
    return text


def _cut_at_word(text: str, limit: int) -> str:
    cut = text[:limit - 1]  # room for the ellipsis
    if text[limit - 1:limit].isalnum() and cut[-1:].isalnum() and " " in cut:
        cut = cut.rsplit(None, 1)[0]  # not half a word
    return cut.rstrip(" ,;:–—-") + "…"


def mark_figures(text: str) -> Markup:
    """The text, escaped, with each figure ('18%', '$2.6 billion') in <strong class="figure">; not dates."""
    parts, last = [], 0
    for match in _FIGURE.finditer(text):
        if _is_date(text, match):
            continue
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<strong class="figure">%s</strong>') % match.group())
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _is_date(text: str, match: re.Match) -> bool:
    """A bare year ('in 2004') or day of a month ('March 12'), not a quantity."""
    figure = match.group()
    if not figure.isdigit():
        return False
    if 1900 <= int(figure) <= 2100:
        return True
    return bool(_MONTH_BEFORE.search(text, 0, match.start()) or _MONTH_AFTER.match(text, match.end()))


def outlet_counts(briefing: Briefing) -> list[tuple[str, int]]:
    """(outlet, articles in this briefing), most first."""
    counts = Counter(a.source for s in briefing.sections for story in s.stories for a in story.articles)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))


# --- helpers ----------------------------------------------------------------------------

def _template_location(exc: BaseException, folders: list[Path]) -> str | None:
    """'<file>, line <n>' of the innermost template frame in the exception's traceback."""
    frame = _template_frame(exc, folders)
    return f"{frame.filename}, line {frame.lineno}" if frame else None


def _template_frame(exc: BaseException, folders: list[Path]) -> traceback.FrameSummary | None:
    """Jinja rewrites tracebacks so that a template's frame names its file and line."""
    roots = [folder.resolve() for folder in folders]
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _inside(f.filename, roots)]
    return frames[-1] if frames else None


def _inside(filename: str, roots: list[Path]) -> bool:
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    return path.is_file() and any(path.is_relative_to(root) for root in roots)


def _long_date(value: date | datetime) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def _short_date(value: date | datetime | None) -> str:
    return "" if value is None else f"{value.day} {value:%b %Y}"
