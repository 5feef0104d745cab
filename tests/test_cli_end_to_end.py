"""The real `briefing` command on temporary folders, reading the real PDF back."""

import re
import shutil
import subprocess
import sys

import pytest
from pypdf import PdfReader

from briefing.config import SummaryConfig
from briefing.gather.files import read_article_file
from briefing.summarise import summarise
from tests.support import PROJECT, SEED_ARTICLE, pdf_text, run_cli, write_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    shutil.copy(PROJECT / "config.yaml", folder / "config.yaml")
    shutil.copytree(PROJECT / "seeds", folder / "seeds")
    result = run_cli("run", "--date", "2025-03-12", cwd=folder)
    return folder, result


def test_run_writes_html_and_pdf_and_says_where(bundled_run):
    folder, result = bundled_run
    assert result.returncode == 0, result.stderr
    for audience, suffixes in (("analyst", "html pdf"), ("executive", "html pdf"), ("newsletter", "html")):
        for suffix in suffixes.split():
            path = folder / "out" / audience / f"2025-03-12.{suffix}"
            assert path.is_file()
            assert f"wrote {path}" in result.stdout


def test_the_pdf_holds_sections_merged_stories_and_the_seed_summary(bundled_run):
    folder, _ = bundled_run
    text = " ".join(pdf_text(folder / "out" / "analyst" / "2025-03-12.pdf").split())
    for section in ("World", "Business & Economy", "Technology", "Climate & Energy", "Sport"):
        assert section in text
    assert "Morning Briefing" in text and "Wednesday 12 March 2025" in text
    assert text.count("Also reported by") >= 2  # the ceasefire talks and the wind farm
    assert "Seed report" in text  # the seed article's outlet, shown with its story
    assert "Page 1 of" in text


def test_the_pdf_links_work(bundled_run):
    folder, _ = bundled_run
    reader = PdfReader(folder / "out" / "analyst" / "2025-03-12.pdf")
    uris = {annotation.get_object()["/A"].get("/URI")
            for page in reader.pages for annotation in page.get("/Annots", [])
            if annotation.get_object().get("/A")}
    assert "https://continental-wire.example/" in " ".join(u for u in uris if u)


def test_the_seed_articles_summary_sentences_are_in_the_briefing(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED_ARTICLE, seeds)
    write_config(tmp_path, "sources:\n  - path: seeds\n")
    result = run_cli("run", "--date", "2025-03-12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Compared without spaces and punctuation: the PDF hyphenates words at line ends.
    squash = lambda text: re.sub(r"\W", "", text)  # noqa: E731
    text = squash(pdf_text(tmp_path / "out" / "default" / "2025-03-12.pdf"))
    article = read_article_file(SEED_ARTICLE, source="seeds", language="en")
    summary = summarise(article, SummaryConfig())
    assert summary.sentences
    for sentence in summary.sentences:
        assert squash(sentence.text.rstrip("…")) in text


def test_an_empty_folder_gets_a_briefing_from_the_bundled_seeds(tmp_path):
    result = run_cli("run", "--format", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "bundled sample articles" in result.stderr
    (written,) = (tmp_path / "out" / "analyst").glob("????-??-??.*")
    assert written.suffix == ".html"
    assert "Also reported by" in written.read_text(encoding="utf-8")


def test_flags_override_output_folder_and_formats(tmp_path):
    result = run_cli("run", "--out", "elsewhere", "--format", "pdf", "--date", "2025-01-02", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = sorted(p.name for p in (tmp_path / "elsewhere" / "analyst").iterdir() if not p.name.startswith("."))
    assert shown == ["2025-01-02.pdf", "index.html"]  # a dot folder keeps the PDF's fingerprint


def test_a_bad_config_exits_non_zero_naming_file_and_key(tmp_path):
    path = write_config(tmp_path, "summary:\n  sentences: 0\n")
    result = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{path}, line 2, summary.sentences:" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_format_flag_is_a_usage_error(tmp_path):
    result = run_cli("run", "--format", "docx", cwd=tmp_path)
    assert result.returncode == 2 and "--format" in result.stderr


def test_a_broken_source_is_a_warning_and_the_briefing_still_comes(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT / "seeds", seeds)
    (seeds / "broken.rss").write_bytes(b"<rss><channel><title>x")
    write_config(tmp_path, "sources:\n  - path: seeds\n    name: Desk\n  - path: missing\n")
    result = run_cli("run", "--format", "html", "--date", "2025-03-12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: Desk:" in result.stderr and "broken.rss" in result.stderr
    assert "sources[1].path" in result.stderr
    html = (tmp_path / "out" / "default" / "2025-03-12.html").read_text(encoding="utf-8")
    assert "Sources with problems" in html and "broken.rss" in html


def test_the_commands_that_build_nothing_start_without_loading_the_pipeline():
    """`collect` runs hourly and `sources` is typed by hand: neither should wait seconds for scikit-learn."""
    loaded = subprocess.run(
        [sys.executable, "-c",
         "import sys, briefing.cli; print(sorted({'sklearn', 'sumy', 'jinja2', 'weasyprint'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True, cwd=PROJECT,
    ).stdout.strip()
    assert loaded == "[]"
