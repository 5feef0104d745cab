from datetime import date, datetime, timezone

import pytest

from briefing.errors import RenderError
from briefing.model import Briefing, Section, Story, Summary, SummarySentence
from briefing.render import render_html, safe_link, template_environment
from briefing.resources import bundled_templates_dir
from tests.support import make_article

BUNDLED = bundled_templates_dir() / "default"


def one_story_briefing(**article_fields) -> Briefing:
    lead = make_article(**article_fields)
    other = make_article(id="b", source="Second Outlet", url="https://second.example/b")
    summary = Summary(lead.id, (SummarySentence("The summary sentence.", 4),), "lead")
    section = Section("World", (Story((lead, other), summary),), "section-1")
    return Briefing("Desk Briefing", "default", date(2025, 3, 12), (section,), datetime.now(timezone.utc))


def test_the_briefing_shows_masthead_contents_story_and_other_outlets():
    html = render_html(one_story_briefing(), template_environment([BUNDLED]))
    assert "Desk Briefing" in html and "Wednesday 12 March 2025" in html
    assert '<a href="#section-1"><span class="name">World</span>' in html
    assert '<a href="https://example.org/a1">A headline</a>' in html
    assert 'title="Sentence 5 of the article">The summary sentence.</span>' in html
    assert "Also reported by" in html
    assert '<a href="https://second.example/b" title="A headline">Second Outlet</a>' in html


def test_article_markup_is_escaped_and_unsafe_links_dropped():
    html = render_html(one_story_briefing(title="<script>alert(1)</script>", url="javascript:alert(1)"),
                       template_environment([BUNDLED]))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html


@pytest.mark.parametrize("url, allowed", [
    ("https://a.example/x", True), ("http://a.example", True), ("file:///etc/passwd", False),
    ("javascript:alert(1)", False), ("//a.example/x", False), ("data:text/html,hi", False), (None, False)])
def test_only_absolute_web_links_are_linked(url, allowed):
    assert (safe_link(url) is not None) is allowed


def test_a_template_of_the_same_name_in_the_user_folder_wins(tmp_path):
    (tmp_path / "story.html").write_text("<p class=mine>{{ story.lead.title }}</p>", encoding="utf-8")
    html = render_html(one_story_briefing(), template_environment([tmp_path, BUNDLED]))
    assert "<p class=mine>A headline</p>" in html
    assert "Desk Briefing" in html  # the rest still comes from the bundled set


def test_a_syntax_error_names_the_template_file_and_line(tmp_path):
    (tmp_path / "story.html").write_text("<p>\n{% if story %}\n<b>unclosed\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"story.html, line \d+: Unexpected end of template"):
        render_html(one_story_briefing(), template_environment([tmp_path, BUNDLED]))


def test_an_error_while_rendering_names_the_template_and_line(tmp_path):
    (tmp_path / "story.html").write_text("<p>\n{{ story.no_such_field }}</p>", encoding="utf-8")
    with pytest.raises(RenderError, match=r"story.html, line 2: .*no_such_field"):
        render_html(one_story_briefing(), template_environment([tmp_path, BUNDLED]))


# --- a PDF made earlier from the same content is kept -------------------------------------------------

def test_the_pdf_fingerprint_ignores_the_time_of_rendering_and_nothing_else(tmp_path):
    from dataclasses import replace

    from briefing.render import pdf_fingerprint

    env = template_environment([BUNDLED])
    briefing = one_story_briefing()
    fingerprint = pdf_fingerprint(briefing, env)
    later = replace(briefing, generated_at=datetime(2031, 1, 1, tzinfo=timezone.utc))
    assert pdf_fingerprint(later, env) == fingerprint
    assert pdf_fingerprint(one_story_briefing(title="Another headline"), env) != fingerprint
    assert pdf_fingerprint(replace(briefing, title="Evening Briefing"), env) != fingerprint
    own = tmp_path / "own"
    own.mkdir()
    with_own = template_environment([own, BUNDLED])
    assert pdf_fingerprint(briefing, with_own) == fingerprint  # an empty folder of one's own changes nothing
    (own / "logo.svg").write_text("<svg/>", encoding="utf-8")  # a file the PDF renderer may read
    assert pdf_fingerprint(briefing, with_own) != fingerprint


def test_an_archived_pdf_is_kept_only_for_its_own_fingerprint_and_unaltered(tmp_path):
    from briefing.deliver import archived_pdf, write_archive
    from briefing.render import Rendered

    day = date(2025, 3, 12)
    assert archived_pdf(tmp_path, day, "f1") is None  # nothing archived yet
    write_archive(Rendered("<p>x</p>", b"%PDF-one", pdf_fingerprint="f1"), tmp_path, day, ["html", "pdf"])
    assert archived_pdf(tmp_path, day, "f1") == b"%PDF-one"
    assert archived_pdf(tmp_path, day, "f2") is None
    assert archived_pdf(tmp_path, date(2025, 3, 13), "f1") is None
    (tmp_path / "2025-03-12.pdf").write_bytes(b"%PDF-edited")
    assert archived_pdf(tmp_path, day, "f1") is None
    (tmp_path / ".pdf" / "2025-03-12.json").write_text("not json", encoding="utf-8")
    assert archived_pdf(tmp_path, day, "f1") is None
