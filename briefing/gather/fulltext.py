"""The main text of an article page, found by trafilatura in bytes already fetched; no I/O here.

A feed often carries only a teaser (`is_teaser`); the page it links to is then fetched
elsewhere and handed to `extract_article` as the raw bytes of the response.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType

import charset_normalizer
import trafilatura

# Measured with benchmarks/extraction.py on the real pages in shared/corpus/pages: favor_precision
# keeps less boilerplate (nav, reprint notices, "related" lists) that summaries would otherwise
# quote (bag-of-words precision 0.969 against 0.954 balanced on article-extraction-benchmark;
# 85% of trafilatura-eval's boilerplate snippets left out against 80%) for a little recall
# (0.974 against 0.983), except on the odd page where it keeps almost nothing: there the balanced
# mode gets a second pass (see extract_article), which brings recall back to 0.982.
PRECISE_OPTIONS: Mapping[str, object] = MappingProxyType({
    "favor_precision": True,
    # With fast=True (no fallback extractors) the precise pass lost over half the article on 7 of
    # the 121 benchmark pages, against 2 without.
    "fast": False,
    "include_comments": False,   # reader comments are not the article
    "include_tables": True,      # results and figures are part of a story; without, 2 more pages lost text
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    # trafilatura's deduplication keeps a process-wide cache: the fourth extraction of the same
    # page returns None, and paragraphs shared by several pages (wire copy) vanish from later ones.
    "deduplicate": False,
    "with_metadata": True,
    # trafilatura unwraps <template> instead of dropping it, so its inert markup would read as text.
    "prune_xpath": "//template",
})
BALANCED_OPTIONS: Mapping[str, object] = MappingProxyType({**PRECISE_OPTIONS, "favor_precision": False})

# htmldate's "original_date" prefers the publication over the last update; a time and zone are
# kept when the page states them. Its extensive search (dates guessed from free text) found the
# same annotated dates on the corpus pages, but loads dateparser's 200 locales on first use
# (1-3 s); without it a page with no date markup has none, and the feed's date stands.
_DATE_PARAMS = {"original_date": True, "extensive_search": False, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}

_MAX_BODY_BYTES = 20_000_000  # trafilatura's own MAX_FILE_SIZE: only that much of a page is read
_CHARSET_SCAN_BYTES = 65_536  # meta charset tags sit after long inline scripts on some sites
_MAX_REPLACED_SHARE = 0.001   # a stray bad byte is tolerated in a page of the declared charset

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Browsers read these labels as a superset encoding (WHATWG Encoding Standard); so must we,
# or the curly quotes of a "latin-1" page come out as control characters.
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252",
    "iso-8859-9": "cp1254", "latin5": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949", "big5": "big5hkscs",
    # A document whose meta tag is readable as ASCII is not UTF-16, whatever it says.
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8", "utf-32": "utf-8",
}

_SEPARATORS = "|–—·:»-"  # the hyphen last: it is literal at the end of a character class
_TITLE_SUFFIX = re.compile(rf"\s+[{_SEPARATORS}]{{1,2}}\s+([^{_SEPARATORS}]{{1,60}})$")
_NOT_AUTHORS = {"no author", "unknown", "anonymous", "admin", "administrator"}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")
_TABLE_RULE = re.compile(r"^[\s|:\-]*$")


@dataclass(frozen=True)
class ExtractedPage:
    """What an article page says: plain-text paragraphs separated by blank lines, and its metadata."""

    text: str
    title: str | None
    author: str | None
    published: datetime | None  # UTC; midnight when the page gives only a date


def extract_article(
    body: bytes, url: str | None = None, *, content_type: str | None = None
) -> ExtractedPage | None:
    """The article in a fetched page, or None when the page holds nothing article-like.

    The text leaves out navigation, comments, scripts and a first line repeating the headline; it
    can be short (a paywalled page): compare it with the feed's text before replacing that.
    `body` is the response as received (Content-Encoding undone; gzip is also accepted);
    `content_type` its Content-Type header, whose charset comes before the page's own (see
    decode_html). `url` only helps metadata detection: nothing is fetched.
    """
    html = decode_html(body, content_type)
    page = extract_from_html(html, url, PRECISE_OPTIONS)
    # Less than a teaser's worth means the precise pass missed the article (a page of notices
    # around a short story): the balanced pass gets a chance, and the longer text wins.
    if page is None or _word_count(page.text) < TEASER_MIN_WORDS:
        balanced = extract_from_html(html, url, BALANCED_OPTIONS)
        if balanced is not None and (page is None or len(balanced.text) > len(page.text)):
            page = balanced
    return page


def extract_from_html(html: str, url: str | None, options: Mapping[str, object]) -> ExtractedPage | None:
    """One trafilatura pass over decoded HTML with the given keyword options (the benchmark compares them)."""
    if not html.strip():
        return None
    document = trafilatura.bare_extraction(
        html, url=url, date_extraction_params=dict(_DATE_PARAMS), **options
    )
    if document is None:
        return None
    title = _title_without_site(_one_line(document.title), document.sitename, document.hostname)
    text = _without_headline(_plain_paragraphs(document.text or ""), title)
    if not text:
        return None
    author = _one_line(document.author)
    return ExtractedPage(
        text=text,
        title=title,
        author=None if author and author.casefold() in _NOT_AUTHORS else author,
        published=_utc_datetime(document.date),
    )


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page bytes as text: BOM, else valid UTF-8, else the declared charset, else a detected one.

    Valid UTF-8 wins over a declaration because text in a single-byte charset is almost never
    valid UTF-8 by accident, whereas templates that declare "iso-8859-1" and serve UTF-8 are common.
    Undecodable bytes become U+FFFD; nothing raises.
    """
    body = _gunzipped(body)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _header_charset(content_type) or _document_charset(body)
    if declared:
        text = body.decode(declared, errors="replace")
        if text.count("\ufffd") <= len(text) * _MAX_REPLACED_SHARE:
            return text
    guess = charset_normalizer.from_bytes(body[:_CHARSET_SCAN_BYTES]).best()
    if guess is not None and guess.encoding:
        return body.decode(guess.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def _gunzipped(body: bytes) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        return body[:_MAX_BODY_BYTES]
    # Bounded, so that a small compressed bomb cannot fill the memory.
    try:
        return zlib.decompressobj(wbits=31).decompress(body, _MAX_BODY_BYTES)
    except zlib.error:
        return b""


def _header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return _codec(match.group(1)) if match else None


def _document_charset(body: bytes) -> str | None:
    head = body[:_CHARSET_SCAN_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return _codec(match.group(1).decode("ascii")) if match else None


def _codec(label: str) -> str | None:
    label = label.strip().lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _plain_paragraphs(text: str) -> str:
    """One paragraph per line of trafilatura's text, folded and separated by a blank line."""
    paragraphs = (" ".join(_CONTROL_CHARS.sub(" ", line).split()) for line in text.splitlines())
    return "\n\n".join(p for p in paragraphs if p and not _TABLE_RULE.match(p))


def _without_headline(text: str, title: str | None) -> str:
    """The text without a first paragraph that only repeats the headline."""
    first, _, rest = text.partition("\n\n")
    if title and _letters(first) == _letters(title):
        return rest
    return text


def _one_line(value: str | None) -> str | None:
    folded = " ".join(_CONTROL_CHARS.sub(" ", value or "").split())
    return folded or None


def _title_without_site(title: str | None, sitename: str | None, hostname: str | None) -> str | None:
    """ "Headline | The Japan Times" without the outlet's name, when the suffix names the site."""
    if not title:
        return None
    site_names = {_letters(sitename), _letters(hostname), _letters((hostname or "").rsplit(".", 1)[0])} - {""}
    match = _TITLE_SUFFIX.search(title)
    if match and _letters(match.group(1)) in site_names:
        return title[:match.start()]
    # A site name with a separator of its own: "… - AOC media - Analyse Opinion Critique".
    if sitename and len(sitename) < len(title) and title.casefold().endswith(sitename.casefold()):
        head = title[:-len(sitename)].rstrip()
        if head[-1:] in _SEPARATORS and head[:-1].strip():
            return head[:-1].rstrip()
    return title


def _letters(value: str | None) -> str:
    return "".join(c for c in (value or "").casefold() if c.isalnum())


def _utc_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # A page that states no zone: taking it as UTC is off by hours at most.
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# Teasers ---------------------------------------------------------------------------------------

TEASER_MIN_WORDS = 100
"""Feed bodies shorter than this are taken for teasers.

Chosen on the 2,998 items of the 95 feeds feedparser reads in shared/corpus/feeds (words of the
richest body after html_to_text). Outlets that send summaries (NYT, Reuters, Le Monde, FAZ,
Spiegel, heise, Japan Times, Moscow Times, livemint...) never exceed 86 words without a read-more
line, and most sit at 20-40: 1,053 items have 20-39 words, 433 have 40-59, 61 have 60-79, 66 have
80-99. Full-text feeds (TechCrunch, The Verge, Adobe, AWS, FeedBurner...) rarely go below 100:
25 of their items would be fetched for nothing, one request each, whereas a teaser taken for an
article is summarised from its two sentences of lead-in. Longer teasers end with a read-more line
(The Guardian up to 323 words, The Verge 120-135, Macworld up to 171), which is caught at any length.
"""

# "[…]" is how WordPress and others cut an excerpt; a bare "..." is no sign at all: every item of
# 100 words or more in the corpus feeds that ends with one is a complete post.
_CUT_MARK_END = re.compile(r"\[\s*(?:\.\.\.|…|&hellip;)\s*\][\s.]*$")
_READ_MORE_END = re.compile(
    r"(?:^|\n\s*|[.!?…:)\]»]\s*|\s[-–—|]\s*)"
    r"(?:continue reading|read more|keep reading|read the (?:full|rest of the|whole) (?:story|article|post)"
    r"|read full (?:story|article)|(?:to )?read this article in full,? (?:please )?click here"
    r"|lire la suite|weiterlesen|mehr lesen|leia mais|leer más|seguir leyendo|leggi (?:tutto|di più))"
    r"(?:\s+(?:on|at|in|no|na|auf|sur|en|su)\b[^.!?\n]{0,40})?[\s.…!»>›→\])]*$",
    re.I,
)
# WordPress appends this line to excerpts and full posts alike: it says nothing about length.
_POST_FOOTER = re.compile(r"\n*The post .{1,300} appeared first on .{1,200}$", re.S)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_teaser(text: str, *, min_words: int = TEASER_MIN_WORDS) -> bool:
    """Whether a feed item's text is only a lead-in, so that its page is worth fetching.

    True when it is shorter than `min_words` (see TEASER_MIN_WORDS for how that was chosen) or,
    at any length, ends with a cut mark ("[…]") or a read-more line ("Continue reading…",
    "Lire la suite").
    """
    text = _POST_FOOTER.sub("", text.strip()).rstrip()
    if _word_count(text) < min_words:
        return True
    return bool(_CUT_MARK_END.search(text) or _READ_MORE_END.search(text))


def _word_count(text: str) -> int:
    """Words between spaces; in Chinese and Japanese, written without them, two characters make a word."""
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub("", text).split()) + (cjk + 1) // 2
