"""Article pages reduced to their text: boilerplate and scripts left out, odd bytes survived."""

from __future__ import annotations

import codecs
import gzip
import json
import random
import re
import socket
from datetime import datetime, timezone

import pytest

from briefing.gather.fulltext import ExtractedPage, decode_html, extract_article, is_teaser
from tests.support import SHARED_CORPUS

STORY = [
    "The harbour authority approved a plan on Tuesday to rebuild the northern pier, which was "
    "damaged by the winter storms, at a cost the council puts at twelve million euros over three years.",
    "Fishermen who moor at the pier have waited since January for a decision, and several of them "
    "said the delay had forced them to sell part of their catch in the neighbouring port instead.",
    "Work is due to start in the spring, once the contractors have surveyed the foundations and the "
    "divers have checked how far the old timber piles have rotted below the waterline.",
    "The mayor said the town would ask the regional government to share the cost, as it did when "
    "the southern breakwater was repaired a decade ago after a similar storm.",
]

BOILERPLATE = {
    "nav": "Home News Sport Weather Subscribe",
    "footer": "Copyright Harbour Gazette Publishing all rights reserved contact advertise",
    "comment": "First! This council never gets anything right, mark my words",
    "related": "You may also like: Ten beaches you must visit this summer",
}
SCRIPT_MARKERS = ("trackVisitorXyz", "zebraStyleRule", "jsonLdSecretToken", "templateOnlyText")


def gazette_page(story: list[str] = STORY, charset: str = "utf-8") -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in story)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="{charset}">
<title>Harbour pier to be rebuilt | Harbour Gazette</title>
<meta property="og:site_name" content="Harbour Gazette">
<meta name="author" content="Ann Example">
<meta property="article:published_time" content="2024-03-05T09:30:00+01:00">
<style>.zebraStyleRule {{ color: red }}</style>
<script>function trackVisitorXyz() {{ return 1; }}</script>
<script type="application/ld+json">{{"note": "jsonLdSecretToken"}}</script>
</head><body>
<header><nav><ul>{"".join(f'<li><a href="/{w}">{w}</a></li>' for w in BOILERPLATE["nav"].split())}</ul>
</nav></header>
<main><article>
<h1>Harbour pier to be rebuilt</h1>
{paragraphs}
<script>trackVisitorXyz();</script>
<template><p>templateOnlyText</p></template>
</article>
<aside class="related"><h3>Related</h3><ul><li><a href="/beach">{BOILERPLATE["related"]}</a></li></ul></aside>
<section id="comments" class="comments"><h3>3 comments</h3>
<div class="comment"><p>{BOILERPLATE["comment"]}</p></div></section>
</main>
<footer><p>{BOILERPLATE["footer"]}</p></footer>
</body></html>"""


def test_article_text_is_found_without_navigation_footer_or_comments():
    page = extract_article(gazette_page().encode(), "https://gazette.example/pier")

    assert page is not None
    for paragraph in STORY:
        assert paragraph in page.text
    for boilerplate in BOILERPLATE.values():
        assert boilerplate not in page.text


def test_paragraphs_are_plain_text_separated_by_blank_lines():
    page = extract_article(gazette_page().encode(), None)

    assert page.text.split("\n\n") == STORY
    assert not re.search(r"<[a-zA-Z/!]", page.text)


def test_script_style_and_template_content_never_appears():
    page = extract_article(gazette_page().encode(), None)

    for marker in SCRIPT_MARKERS:
        assert marker not in page.text


def test_title_loses_the_site_name_and_the_date_becomes_utc():
    page = extract_article(gazette_page().encode(), "https://gazette.example/pier")

    assert page.title == "Harbour pier to be rebuilt"
    assert page.author == "Ann Example"
    assert page.published == datetime(2024, 3, 5, 8, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("body", [
    b"", b"   \n ", b"<html><body></body></html>", b"<html><head></head></html>",
])
def test_an_empty_page_gives_none(body):
    assert extract_article(body, None) is None


@pytest.mark.parametrize("body", [
    random.Random(0).randbytes(20_000),
    b"\xff\xfe\x00\xd8garbage\x00\x00",
    b"\x1f\x8b\x08\x00broken gzip",
    gazette_page().encode()[:900] + b"\xc3\x28\xff\xfe" + gazette_page().encode()[900:],
])
def test_undecodable_bytes_give_none_or_text_without_crashing(body):
    page = extract_article(body, "https://gazette.example/pier")

    assert page is None or (isinstance(page, ExtractedPage) and isinstance(page.text, str))


def test_a_latin1_declaration_is_read_as_windows_1252():
    story = ["Le café du port rouvrira ses portes après les travaux, l’été prochain. " * 6] * 3
    body = gazette_page(story, charset="iso-8859-1").encode("cp1252")

    page = extract_article(body, None)

    assert "Le café du port rouvrira ses portes après les travaux, l’été prochain." in page.text


def test_the_http_charset_comes_before_the_pages_own():
    story = ["Портовое управление одобрило план восстановления северного пирса. " * 6] * 3
    body = gazette_page(story, charset="iso-8859-1").encode("cp1251")
    header = "text/html; charset=windows-1251"

    assert "северного пирса" not in decode_html(body)
    assert "северного пирса" in decode_html(body, header)
    assert "северного пирса" in extract_article(body, None, content_type=header).text


@pytest.mark.parametrize("body, expected", [
    ('<meta charset="iso-8859-1"><p>Café l’été</p>'.encode(), "Café l’été"),  # valid UTF-8 wins
    (codecs.BOM_UTF8 + "<p>Café</p>".encode(), "<p>Café</p>"),
    (codecs.BOM_UTF16_LE + "<p>Café</p>".encode("utf-16-le"), "<p>Café</p>"),
    (b"<p>caf\xe9 \x81</p>", None),  # no declaration, not UTF-8: a guess, and no exception
])
def test_decoding_html(body, expected):
    text = decode_html(body)

    assert isinstance(text, str)
    if expected is not None:
        assert expected in text


def test_a_gzip_body_is_unpacked():
    page = extract_article(gzip.compress(gazette_page().encode()), None)

    assert STORY[0] in page.text


def test_extraction_never_opens_a_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("extract_article tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    page = extract_article(gazette_page().encode(), "https://gazette.example/pier")

    assert STORY[0] in page.text


def test_the_same_page_extracted_again_gives_the_same_text():
    # trafilatura's own deduplication would drop the page from the fourth time on.
    body = gazette_page().encode()
    texts = {extract_article(body, None).text for _ in range(5)}

    assert len(texts) == 1


LONG = " ".join(["The council met on Tuesday and agreed to rebuild the northern pier."] * 12)


@pytest.mark.parametrize("text, expected", [
    ("", True),
    ("The harbour authority approved a plan to rebuild the pier.", True),
    (LONG, False),
    (LONG + "\n\nContinue reading…", True),
    (LONG + " Continue reading on Medium »", True),
    (LONG + "\n\nTo read this article in full, please click here", True),
    (LONG + " Les travaux commencent au printemps. Lire la suite", True),
    (LONG + " The pier will open […]", True),
    (LONG + " [...]\n\nThe post Pier rebuilt appeared first on Harbour Gazette.", True),
    (LONG + "\n\nThe post Pier rebuilt appeared first on Harbour Gazette.", False),
    (LONG + " If only it ran Ruby...", False),  # a bare ellipsis ends many complete posts
    (LONG + " Everyone should read more books.", False),
    ("港湾当局は火曜日、冬の嵐で損傷した北側の桟橋を再建する計画を承認した。" * 10, False),
])
def test_is_teaser(text, expected):
    assert is_teaser(text) is expected


def test_is_teaser_takes_another_threshold():
    assert is_teaser(LONG, min_words=500)
    assert not is_teaser("Short but complete.", min_words=2)


TRAFILATURA_EVAL = SHARED_CORPUS / "pages" / "trafilatura-eval"
# Two pages that are not valid UTF-8 (iso-8859-1 and gb2312 declared), and three ordinary ones.
CORPUS_PAGES = [
    "archive.org-travaillent",
    "archive.org.he.xinhuanet.com.25340717",
    "theguardian.com.academics",
    "spiegel.de.albtraum",
    "elpais.com.ciencia",
]


@pytest.mark.skipif(not TRAFILATURA_EVAL.is_dir(), reason=f"real pages not found at {TRAFILATURA_EVAL}")
@pytest.mark.parametrize("name", CORPUS_PAGES)
def test_real_pages_give_text_with_a_required_snippet(name):
    truth = json.loads((TRAFILATURA_EVAL / f"{name}.json").read_text(encoding="utf-8"))

    page = extract_article((TRAFILATURA_EVAL / f"{name}.html").read_bytes(), truth["url"])

    assert page is not None and page.text.strip()
    text = " ".join(page.text.split())
    assert any(" ".join(snippet.split()) in text for snippet in truth["with"])
