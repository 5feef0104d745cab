"""The bundled template sets rendered for the seeds, read back as HTML, PDF and in a browser."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from briefing.config import load_config
from briefing.errors import RenderError
from briefing.gather import read_local_source
from briefing.group import build_sections, merge_stories
from briefing.model import Article, Briefing, Problem, Quote, Section, Story, Summary, SummarySentence
from briefing.pdf import RestrictedURLFetcher
from briefing.quotes import key_quotes
from briefing.render import (mark_figures, render, render_html, template_environment, template_folders,
                             top_stories, within)
from briefing.resources import bundled_config_file, bundled_templates_dir
from briefing.summarise import summarise_all

pytestmark = pytest.mark.slow

BUNDLED = bundled_templates_dir()
SETS = ("default", "executive", "email")


def search_path(template_set: str, *overrides: Path) -> list[Path]:
    """As the pipeline builds it: the user's folders first, then the bundled set, then the bundled default."""
    bundled = [BUNDLED / template_set] + ([BUNDLED / "default"] if template_set != "default" else [])
    return [*overrides, *bundled]


def seed_briefing(audience: str = "night-desk") -> Briefing:
    """The bundled seeds through the real stages, each story with its key quotes as the pipeline sets them."""
    config = load_config(bundled_config_file())
    (source,) = config.sources
    gathered = read_local_source(source, config.language)
    summaries = summarise_all(gathered.articles, config.summary)
    stories = merge_stories(gathered.articles, summaries, config.grouping.story_similarity)
    sections = [replace(section, stories=tuple(replace(story, quotes=tuple(key_quotes(story, 2)))
                                               for story in section.stories))
                for section in build_sections(stories, config.grouping)]
    return Briefing(config.title, audience, date(2025, 3, 12), tuple(sections),
                    datetime(2025, 3, 12, 6, 0, tzinfo=timezone.utc), tuple(gathered.problems),
                    tuple(s.display_name for s in config.sources))


@pytest.fixture(scope="module")
def seeds() -> Briefing:
    return seed_briefing()


@pytest.fixture(scope="module")
def rendered(seeds):
    return {name: render(seeds, template_environment(search_path(name)), pdf=True) for name in SETS}


def test_every_set_renders_to_pdf_without_a_warning(seeds, caplog):
    """A warning on every run teaches operators to ignore warnings."""
    with caplog.at_level(logging.WARNING):
        for name in SETS:
            render(seeds, template_environment(search_path(name)), pdf=True)
    assert [r.getMessage() for r in caplog.records] == []


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squashed(text: str) -> str:
    return " ".join(text.split())


# --- every set ---------------------------------------------------------------------------------

def test_the_bundled_sets_are_the_three_editions():
    assert sorted(d.name for d in BUNDLED.iterdir() if d.is_dir()) == sorted(SETS)


@pytest.mark.parametrize("name", SETS)
def test_every_set_renders_the_seeds_to_html_and_a_paged_pdf(rendered, name):
    html, pages = rendered[name].html, pdf_pages(rendered[name].pdf)
    assert "Morning Briefing" in html and "Wednesday 12 March 2025" in html
    assert squashed(pages[-1]).count(f"Page {len(pages)} of {len(pages)}") == 1  # the footer, on every page
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))


@pytest.mark.parametrize("name", SETS)
def test_every_set_has_a_running_header_with_the_audience_and_date_in_print(rendered, name):
    pages = pdf_pages(rendered[name].pdf)
    later = pages[1:] or pages  # the cover of a longer edition has no header
    for page in later:
        assert "for night-desk" in page and "Wednesday 12 March 2025" in page


@pytest.mark.parametrize("name", SETS)
def test_every_set_prints_on_a4_in_fonts_the_machine_has(rendered, name):
    reader = PdfReader(io.BytesIO(rendered[name].pdf))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (210, 297)
    fonts = {font.get_object()["/BaseFont"] for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all(re.search(r"Liberation|DejaVu", str(f)) for f in fonts), fonts


@pytest.mark.parametrize("name", SETS)
def test_every_set_renders_a_day_without_news(seeds, name):
    empty = replace(seeds, sections=())
    result = render(empty, template_environment(search_path(name)), pdf=True)
    assert "No new articles since the last briefing." in result.html
    assert len(pdf_pages(result.pdf)) <= 2


# --- default: the analyst's full edition ----------------------------------------------------------

def test_the_default_edition_has_a_cover_with_chart_and_contents_with_the_right_page_numbers(rendered, seeds):
    pages = pdf_pages(rendered["default"].pdf)
    cover = pages[0]
    # Each contents line reads "<section> <n> stories <page>".
    entry = re.compile(r"\d+ (stories|story|outlets?) (\d+)$", re.MULTILINE)
    numbers = [int(m.group(2)) for m in entry.finditer(cover)]
    titles = [section.title for section in seeds.sections]
    assert len(numbers) == len(titles) + 1  # every section, then the sources appendix
    for title, number in zip(titles, numbers):
        heading = re.compile(rf"^{re.escape(title.upper())}$", re.MULTILINE)  # a line of its own
        assert heading.search(pages[number - 1]), f"{title} is not on page {number}"
        earlier = pages[1:number - 1]
        assert not any(heading.search(page) for page in earlier), f"{title} starts before page {number}"
    assert "Sources" in pages[numbers[-1] - 1] or "SOURCES" in pages[numbers[-1] - 1]


def test_the_default_edition_draws_its_chart_as_inline_svg_and_its_labels_reach_the_pdf(rendered, seeds):
    html = rendered["default"].html
    svg = lxml_html.fromstring(html).xpath("//svg")
    assert len(svg) == 1 and "Stories by section" in svg[0].xpath("string(title)")
    labels = [t.text_content() for t in svg[0].xpath(".//text")]
    rows = [(section.title, str(len(section.stories))) for section in seeds.sections]
    assert labels == [part for row in rows for part in row]
    assert "<script" not in html
    cover = squashed(pdf_pages(rendered["default"].pdf)[0])
    chart_text = " ".join(labels)
    assert chart_text in cover  # the labels and counts are text in the PDF, in the chart's order


def test_the_default_edition_shows_every_section_merged_stories_quotes_and_sources(rendered, seeds):
    text = squashed(" ".join(pdf_pages(rendered["default"].pdf)))
    for section in seeds.sections:
        assert section.title.upper() in text
        for story in section.stories:
            assert squashed(story.lead.title) in text
    assert text.count("Also reported by") == 2
    assert "3 OUTLETS" in text
    assert "— Lavrov" in text or "— Donald Trump" in text  # key quotes from the seed article
    assert "SOURCES" in text and "Continental Wire 4" in text  # articles per outlet


def test_the_default_appendix_lists_problems_with_when_they_began(seeds):
    briefing = replace(seeds, problems=(Problem("Flaky feed", "HTTP 503", datetime(2025, 3, 10, 7)),))
    html = render_html(briefing, template_environment(search_path("default")))
    assert "Sources with problems" in html and "Flaky feed" in html
    assert "failing since 2025-03-10 07:00 UTC" in html


# --- executive: one page ----------------------------------------------------------------------------

def test_the_executive_page_is_exactly_one_page_for_the_seeds(rendered):
    assert len(pdf_pages(rendered["executive"].pdf)) == 1


def test_the_executive_page_has_the_top_stories_most_outlets_first_and_their_key_quotes(rendered, seeds):
    document = lxml_html.fromstring(rendered["executive"].html)
    headlines = [squashed(h.text_content()) for h in document.xpath("//ol[@class='top']//h2")]
    expected = [story.lead.title for story in top_stories(seeds, 6)]
    assert headlines == expected
    assert expected[0].startswith("Kremlin keeps Washington") and expected[1].startswith("Regulator clears")
    quotes = document.xpath("//section[@class='quotes']//blockquote")
    assert 1 <= len(quotes) <= 3
    assert "Donald Trump · story 1" in squashed(quotes[0].text_content())
    page = squashed(pdf_pages(rendered["executive"].pdf)[0])
    assert "KEY QUOTES" in page
    assert "Also reported by" not in page and "SOURCES" not in page  # nothing else


def test_the_executive_text_is_one_or_two_whole_sentences_with_figures_in_bold(rendered, seeds):
    document = lxml_html.fromstring(rendered["executive"].html)
    texts = [squashed(p.text_content()) for p in document.xpath("//ol[@class='top']//p[@class='text']")]
    for story, text in zip(top_stories(seeds, 6), texts):
        sentences = [s.text for s in story.summary.sentences]
        assert text in (sentences[0], " ".join(sentences[:2])) or text.endswith("…")
    figures = document.xpath("//strong[@class='figure']/text()")
    assert "11.4%" in figures and "$2.6 billion" in figures


def test_figures_are_marked_but_dates_and_markup_are_not():
    marked = mark_figures('On March 12, 2025, <b> fell 11.4% to $48.20 over a 30-day pause, on 29 March')
    assert re.findall(r'<strong class="figure">(.*?)</strong>', marked) == ["11.4%", "$48.20", "30-day"]
    assert "&lt;b&gt;" in marked


def test_within_keeps_whole_sentences_and_cuts_only_a_first_one_too_long():
    sentences = ["One short sentence.", "A second one.", "A third that will not fit."]
    assert within(sentences, 40) == "One short sentence. A second one."
    assert within(sentences, 10) == "One short…"


def big_day(stories: int = 40) -> Briefing:
    """A day far bigger than the seeds, with every text as long and as wide as it gets."""
    wide = "Mammoth Worldwide Warehousing momentum "
    sections = []
    for s in range(8):
        members = []
        for k in range(stories // 8):
            n = s * 100 + k
            articles = tuple(Article(id=f"{n}-{j}", title=f"{n} " + wide * 6, text="x",
                                     source="The Extremely Long Named Worldwide Outlet " * 2,
                                     url=f"https://example.org/{n}/{j}") for j in range(1 + n % 4))
            sentence = f"{wide * 3} grew {n}% to $4{n}.5 billion, " + wide * 9 + "."
            sentences = tuple(SummarySentence(sentence, i) for i in range(3))
            quotes = tuple(Quote("Mammoth widget movement means maximum momentum " * 8, "Maximilian " * 6, i)
                           for i in range(3))
            members.append(Story(articles, Summary(articles[0].id, sentences, "lead"), quotes))
        sections.append(Section(f"Section {s}: " + wide * 3, tuple(members), f"section-{s + 1}"))
    return Briefing(wide * 4, "board-of-directors-and-the-whole-wider-management-team", date(2025, 3, 12),
                    tuple(sections), datetime(2025, 3, 12, tzinfo=timezone.utc), (), ("Everything",))


def test_the_executive_page_stays_one_page_on_a_big_day_of_long_stories():
    result = render(big_day(), template_environment(search_path("executive")), pdf=True)
    assert len(pdf_pages(result.pdf)) == 1
    assert result.html.count('class="item"') == 6 and result.html.count('class="quote"') == 3


def test_a_big_section_lists_its_stories_beyond_forty_as_headlines():
    day = big_day(stories=8 * 45)
    html = render_html(day, template_environment(search_path("default")))
    document = lxml_html.fromstring(html)
    first = document.xpath("//section[@id='section-1']")[0]
    assert len(first.xpath(".//ul[@class='more']/li")) == 5
    assert "More in Section 0" in first.text_content() and "5 stories" in first.text_content()
    for story in day.sections[0].stories:  # every story is still there, in full or as a headline
        assert story.lead.title.strip() in html


# --- email --------------------------------------------------------------------------------------------

def test_the_email_is_one_column_of_at_most_640px_with_every_style_inline(rendered):
    document = lxml_html.fromstring(rendered["email"].html)
    (sheet,) = document.xpath("//table[contains(@class, 'sheet')]")
    assert "max-width:640px" in sheet.get("style")
    rows = sheet.xpath("./tr | ./tbody/tr")
    assert len(rows) > 10 and all(len(row.xpath("./td")) == 1 for row in rows)  # one column
    text_elements = "//body//*[self::p or self::h1 or self::h2 or self::h3 or self::td or self::a]"
    for element in document.xpath(text_elements):
        assert element.get("style"), f"no inline style: {lxml_html.tostring(element)[:80]}"


def test_the_email_renders_to_pdf_with_every_story(rendered, seeds):
    text = squashed(" ".join(pdf_pages(rendered["email"].pdf)))
    for section in seeds.sections:
        assert section.title.upper() in text
        for story in section.stories:
            assert squashed(story.lead.title) in text


@pytest.mark.parametrize("name", SETS)
def test_no_set_references_anything_to_fetch(rendered, name):
    """Nothing is loaded from outside the HTML: no script, stylesheet, image, font or frame."""
    assert external_references(rendered[name].html) == []


def external_references(html: str) -> list[str]:
    document = lxml_html.fromstring(html)
    found = [f"<{e.tag}>" for e in document.xpath("//script|//link|//img|//iframe|//object|//embed|//video"
                                                  "|//audio|//source|//input[@type='image']")]
    found += [f"{e.tag} {a}={e.get(a)}" for e in document.iter() if isinstance(e.tag, str)
              for a in ("src", "srcset", "background", "poster", "data", "xlink:href")
              if e.get(a) and not e.get(a).startswith("data:")]
    found += re.findall(r"url\(\s*['\"]?(?!data:)[^)]*\)|@import[^;]*", html)
    found += [f"svg href={e.get('href')}" for e in document.xpath("//svg//*[@href]")
              if not e.get("href").startswith("#")]
    return found


# --- overrides and errors --------------------------------------------------------------------------

def test_a_file_in_an_override_folder_first_in_the_search_path_wins(seeds, tmp_path):
    (tmp_path / "style.css").write_text("/* house style */ body { color: #123456; }", encoding="utf-8")
    html = render_html(seeds, template_environment(search_path("executive", tmp_path)))
    assert "/* house style */" in html and ".quote-row" not in html  # the executive's own CSS is replaced
    assert '<ol class="top">' in html  # the rest is still the executive set


def test_an_override_extends_the_bundled_default_and_replaces_one_block(seeds, tmp_path):
    (tmp_path / "briefing.html").write_text(
        '{% extends "default/briefing.html" %}\n'
        '{% block masthead %}<h1 class="title">Desk edition for {{ briefing.audience }}</h1>{% endblock %}\n',
        encoding="utf-8")
    html = render_html(seeds, template_environment(search_path("default", tmp_path)))
    assert '<h1 class="title">Desk edition for night-desk</h1>' in html
    assert "Stories by section" in html and "Also reported by" in html  # every other block is the default's
    assert "Morning Briefing</h1>" not in html


def test_a_bundled_set_is_named_with_its_folder_from_any_set(seeds, tmp_path):
    (tmp_path / "briefing.html").write_text(
        '{% extends "executive/briefing.html" %}{% block quotes %}<p>No quotes today</p>{% endblock %}',
        encoding="utf-8")
    html = render_html(seeds, template_environment(search_path("email", tmp_path)))
    assert "No quotes today" in html and '<ol class="top">' in html


def test_an_override_that_extends_its_own_name_is_told_to_name_the_default(seeds, tmp_path):
    (tmp_path / "briefing.html").write_text('{% extends "briefing.html" %}{% block masthead %}{% endblock %}',
                                            encoding="utf-8")
    with pytest.raises(RenderError) as error:
        render_html(seeds, template_environment(search_path("default", tmp_path)))
    message = str(error.value)
    expected = f"{tmp_path / 'briefing.html'}, line 1: the template extends or includes itself"
    assert message.startswith(expected)
    assert '{% extends "default/briefing.html" %}' in message


@pytest.mark.parametrize("files, where, what", [
    ({"briefing.html": "<p>\n{% for x in briefing.sections %}\n<b>unclosed\n"}, "briefing.html, line 3",
     "Unexpected end of template"),
    ({"story.html": "<p>\n\n{{ no_such_variable }}</p>"}, "story.html, line 3",
     "'no_such_variable' is undefined"),
    ({"story.html": "<p>\n{{ story.no_such_field }}</p>"}, "story.html, line 2",
     "no attribute 'no_such_field'"),
    ({"story.html": "<p>\n{% include 'missing.html' %}</p>"}, "story.html, line 2",
     "template missing.html not found"),
    ({"base.html": "<main>\n{% block body %}{% endblock %}\n{{ briefing.nope }}</main>",
      "briefing.html": '{% extends "base.html" %}{% block body %}hi{% endblock %}'}, "base.html, line 3",
     "no attribute 'nope'"),
    ({"base.html": "<main>\n{% block body %}{% endblock %\n",
      "briefing.html": '{% extends "base.html" %}{% block body %}hi{% endblock %}'}, "base.html, line 2",
     "expected token 'end of statement block'"),
], ids=["syntax-error", "undefined-variable", "undefined-field", "missing-include", "error-in-parent",
        "syntax-error-in-parent"])
def test_a_broken_template_is_reported_with_its_file_line_and_what_is_wrong(seeds, tmp_path, files, where,
                                                                             what):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(RenderError) as error:
        render_html(seeds, template_environment(search_path("default", tmp_path)))
    message = str(error.value)
    assert message.startswith(f"{tmp_path}/{where}: "), message
    assert what in message and "Traceback" not in message


def test_html_templates_escape_and_plain_text_templates_do_not(tmp_path):
    (tmp_path / "note.txt").write_text("{{ title }}", encoding="utf-8")
    (tmp_path / "note.html").write_text("{{ title }}", encoding="utf-8")
    env = template_environment(search_path("email", tmp_path))
    assert env.get_template("note.txt").render(title="Business & <Economy>") == "Business & <Economy>"
    assert env.get_template("note.html").render(title="<b>") == "&lt;b&gt;"


# --- what the PDF renderer may read ----------------------------------------------------------------------

def test_the_pdf_renderer_may_read_the_search_path_folders_and_the_bundled_root_only(tmp_path):
    audience, house = tmp_path / "templates" / "board", tmp_path / "templates" / "house"
    env = template_environment([audience, house, BUNDLED / "executive", BUNDLED / "default"])
    assert template_folders(env) == [audience, house, BUNDLED / "executive", BUNDLED / "default", BUNDLED]
    fetcher = RestrictedURLFetcher(template_folders(env))
    assert fetcher.allows((house / "logo.png").as_uri())
    assert fetcher.allows((BUNDLED / "email" / "anything.css").as_uri())
    assert not fetcher.allows((tmp_path / "templates" / "secret.txt").as_uri())
    assert not fetcher.allows((tmp_path / "out" / "2025-03-12.html").as_uri())


def test_a_relative_file_in_a_template_is_found_along_the_search_path(seeds, tmp_path, caplog):
    audience, house = tmp_path / "board", tmp_path / "house"
    audience.mkdir()
    house.mkdir()
    (house / "mark.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>',
                                    encoding="utf-8")
    outside = tmp_path / "outside.svg"
    outside.write_text((house / "mark.svg").read_text(encoding="utf-8"), encoding="utf-8")
    (audience / "briefing.html").write_text(
        '{% extends "default/briefing.html" %}{% block masthead %}<img src="mark.svg">'
        f'<img src="{outside.as_uri()}">{{{{ super() }}}}{{% endblock %}}', encoding="utf-8")
    fetcher = RestrictedURLFetcher([audience, house])
    assert fetcher.along_search_path((audience / "mark.svg").as_uri()) == (house / "mark.svg").as_uri()
    with caplog.at_level(logging.WARNING, logger="briefing.pdf"):
        render(seeds, template_environment([audience, house, BUNDLED / "default"]), pdf=True)
    refused = [r.getMessage() for r in caplog.records if r.name == "briefing.pdf"]
    assert refused == [
        f"the PDF renderer refused {outside.as_uri()}: only template files and data: URLs are fetched"]


# --- in a browser ----------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not on PATH: the browser check needs headless Chromium")


def requests_the_page_made(page: Path, folder: Path) -> tuple[str, list[str]]:
    """Load the page in headless Chromium; its DOM, and every network request made for it.

    Chromium writes a net log of every URL request. Those made on behalf of a file:// page
    carry it in their network isolation key; Chromium's own background requests do not. No
    name is resolved (MAP * ~NOTFOUND), so a reference costs nothing and is still logged.
    """
    net_log = folder / "net-log.json"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={folder / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--log-net-log={net_log}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = [e["params"]["url"] for e in log["events"] if e["type"] == start
            and "file://" in e["params"].get("network_isolation_key", "")]
    return result.stdout, urls


@needs_chromium
def test_the_browser_check_sees_a_page_that_fetches_something(tmp_path):
    page = tmp_path / "leaky.html"
    page.write_text('<html><head><link rel="stylesheet" href="https://fonts.example.com/a.css"></head>'
                    '<body><p>Leaky</p><img src="http://127.0.0.1:9/pixel.png"></body></html>',
                    encoding="utf-8")
    dom, urls = requests_the_page_made(page, tmp_path)
    assert "Leaky" in dom
    assert sorted(urls) == ["http://127.0.0.1:9/pixel.png", "https://fonts.example.com/a.css"]
    assert {"<link>", "<img>"} <= set(external_references(page.read_text(encoding="utf-8")))


@needs_chromium
@pytest.mark.parametrize("name", SETS)
def test_the_html_loads_in_chromium_without_a_single_request(rendered, name, tmp_path):
    page = tmp_path / f"{name}.html"
    page.write_text(rendered[name].html, encoding="utf-8")
    dom, urls = requests_the_page_made(page, tmp_path)
    assert "Morning Briefing" in dom and "Kremlin keeps Washington waiting" in dom
    assert urls == []
