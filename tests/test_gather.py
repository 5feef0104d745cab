from pathlib import Path

from briefing.config import SourceConfig
from briefing.gather import read_local_source
from tests.support import SEEDS


def test_a_broken_file_is_a_problem_and_the_rest_still_comes(tmp_path):
    (tmp_path / "good.md").write_text("---\ntitle: Good\n---\nFine text.\n", encoding="utf-8")
    (tmp_path / "broken.rss").write_bytes(b"<not a feed")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 story\n\nText.".encode("latin-1"))
    result = read_local_source(SourceConfig(path=tmp_path, name="Desk"), "en", 0)
    assert [a.title for a in result.articles] == ["Good"]
    messages = {Path(p.message.split(":")[0]).name: p.message for p in result.problems}
    assert set(messages) == {"broken.rss", "latin1.txt"}
    assert "not UTF-8" in messages["latin1.txt"]
    assert all(p.source == "Desk" for p in result.problems)


def test_a_missing_folder_names_the_config_key(tmp_path):
    result = read_local_source(SourceConfig(path=tmp_path / "nowhere"), "en", 0)
    assert result.articles == ()
    assert "sources[0].path" in result.problems[0].message


def test_readme_sidecars_and_hidden_files_are_not_articles(tmp_path):
    (tmp_path / "README.md").write_text("# About\n", encoding="utf-8")
    (tmp_path / ".draft.md").write_text("Hidden\n", encoding="utf-8")
    (tmp_path / "a.meta.yaml").write_text("source: X\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Headline\n\nBody.", encoding="utf-8")
    assert [a.title for a in read_local_source(SourceConfig(path=tmp_path), "en", 0).articles] == ["Headline"]


def test_the_bundled_seeds_hold_every_format_and_several_outlets():
    result = read_local_source(SourceConfig(path=SEEDS), "en", 0)
    assert result.problems == ()
    assert len(result.articles) >= 13
    assert len({a.source for a in result.articles}) >= 4
    origins = {Path(a.origin).suffix for a in result.articles}
    assert {".txt", ".md", ".rss", ".atom"} <= origins
    assert all(a.text and a.title for a in result.articles)
    hostile = [a for a in result.articles if "alert(1)" in a.text or "passwd" in a.text]
    assert hostile == []


def test_files_of_the_same_name_in_different_folders_are_different_articles(tmp_path):
    for folder in ("monday", "tuesday"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "note.txt").write_text(f"News of {folder}\n\nBody.", encoding="utf-8")
    articles = read_local_source(SourceConfig(path=tmp_path), "en", 0).articles
    assert sorted(a.title for a in articles) == ["News of monday", "News of tuesday"]
