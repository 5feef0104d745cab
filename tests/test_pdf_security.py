"""A hostile article must not get a local file's bytes, or any fetched URL, into the PDF."""

import io
import zlib

import pytest
from pypdf import PdfReader

from briefing.config import load_config
from briefing.pdf import RestrictedURLFetcher, write_pdf
from briefing.pipeline import run
from briefing.resources import bundled_templates_dir
from tests.support import write_config

SECRET = b"TOP-SECRET-7d41c0ffee"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "private" / "secret.txt"
    path.parent.mkdir()
    path.write_bytes(SECRET + b"\n")
    return path


def hostile_html(secret_path) -> str:
    uri = secret_path.as_uri()
    return (f'<html><head><link rel="stylesheet" href="{uri}"></head><body>'
            f'<p>Story</p><a rel="attachment" href="{uri}">attached</a>'
            f'<img src="{uri}"><object data="{uri}"></object>'
            f'<img src="http://127.0.0.1:9/tracker.png"></body></html>')


def pdf_bytes_everywhere(pdf: bytes) -> bytes:
    """The raw PDF plus every decompressed stream, so an embedded file cannot hide."""
    parts = [pdf]
    for chunk in pdf.split(b"stream")[1:]:
        body = chunk.split(b"endstream")[0].strip(b"\r\n")
        try:
            parts.append(zlib.decompress(body))
        except zlib.error:
            pass
    return b"".join(parts)


def test_weasyprints_default_fetcher_would_embed_the_file(secret_file, tmp_path):
    import weasyprint

    pdf = weasyprint.HTML(string=hostile_html(secret_file), base_url=str(tmp_path)).write_pdf()
    assert SECRET in pdf_bytes_everywhere(pdf)  # the danger this project guards against is real


def test_our_renderer_refuses_local_files_and_urls(secret_file):
    pdf = write_pdf(hostile_html(secret_file), [bundled_templates_dir() / "default"])
    assert SECRET not in pdf_bytes_everywhere(pdf)
    assert not PdfReader(io.BytesIO(pdf)).attachments


def test_the_fetcher_allows_only_template_files_and_data_urls(tmp_path):
    fetcher = RestrictedURLFetcher([tmp_path / "templates"])
    assert fetcher.allows("data:image/png;base64,AAAA")
    assert fetcher.allows((tmp_path / "templates" / "logo.png").as_uri())
    assert not fetcher.allows((tmp_path / "templates" / ".." / "secret").as_uri())
    assert not fetcher.allows("file:///etc/passwd")
    assert not fetcher.allows("file://remote-host/share/x")
    assert not fetcher.allows("http://127.0.0.1/x.png")
    assert not fetcher.allows("https://example.org/x.png")


def test_a_hostile_feed_item_run_through_the_whole_pipeline(secret_file, tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    uri = secret_file.as_uri()
    (feeds / "evil.rss").write_text(f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title>
<item><title>&lt;a rel=attachment href="{uri}"&gt;Click&lt;/a&gt;</title><link>{uri}</link>
<description><![CDATA[<p>Normal words here.<a rel="attachment" href="{uri}">x</a><img src="{uri}">
<link rel="stylesheet" href="{uri}"> More words follow.</p>]]></description></item></channel></rss>""",
                                    encoding="utf-8")
    config = load_config(write_config(tmp_path, "sources:\n  - path: feeds\noutput:\n  formats: [html, pdf]\n"))
    result = run(config)
    pdf = next(p for p in result.written if p.suffix == ".pdf").read_bytes()
    html = next(p for p in result.written if p.suffix == ".html").read_text(encoding="utf-8")
    assert SECRET not in pdf_bytes_everywhere(pdf)
    assert uri not in html  # neither as a link nor as markup
    assert "Normal words here." in html
