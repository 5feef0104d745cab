"""HTML to PDF with WeasyPrint, fetching nothing but the template folders' files and data: URLs."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)


class _CSSForOtherReaders(logging.Filter):
    """Drops WeasyPrint's warnings about CSS that is meant for other readers, not for print:
    media features such as `screen and (max-width: 36rem)` (for phones), which WeasyPrint cannot
    read, and Outlook's `mso-` properties in the email set. Every run would repeat them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        screen_only = message.startswith(("Expected a media type", "Invalid media type")) and "screen" in message
        return not (screen_only or message.startswith("Ignored `mso-"))


logging.getLogger("weasyprint").addFilter(_CSSForOtherReaders())


class RestrictedURLFetcher(URLFetcher):
    """Serves data: URLs and files inside the allowed folders; refuses every other URL.

    WeasyPrint's default fetcher reads any file:// URL and fetches any http URL, and
    `<a rel=attachment href=file:///...>` would embed a local file into the PDF.
    """

    def __init__(self, allowed_roots: list[Path]) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self._roots = [root.resolve() for root in allowed_roots]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not self.allows(url):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}")
        return super().fetch(self.along_search_path(url), headers)

    def along_search_path(self, url: str) -> str:
        """A relative file URL resolves in the first folder; missing there, in the next folder that has it.

        Templates are found the same way, so a bundled template's `logo.svg` still loads
        when an audience's folder comes first in the search path.
        """
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or not self._roots:
            return url
        path = Path(url2pathname(parts.path)).resolve()
        if path.exists() or not path.is_relative_to(self._roots[0]):
            return url
        relative = path.relative_to(self._roots[0])
        found = next((root / relative for root in self._roots[1:] if (root / relative).is_file()), None)
        return found.as_uri() if found else url

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return True
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(url2pathname(parts.path)).resolve()
        return any(path.is_relative_to(root) for root in self._roots)


def write_pdf(html: str, allowed_roots: list[Path]) -> bytes:
    """Relative URLs in the HTML resolve along the allowed folders, in order (see `along_search_path`)."""
    fetcher = RestrictedURLFetcher(allowed_roots)
    base = allowed_roots[0].resolve().as_uri() + "/" if allowed_roots else None
    pdf = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).write_pdf()
    for url in fetcher.refused:
        log.warning("the PDF renderer refused %s: only template files and data: URLs are fetched", url)
    return pdf
