import pytest

from briefing.gather.files import ArticleFileError, read_article_file


def test_markdown_front_matter_gives_the_metadata(tmp_path):
    path = tmp_path / "story.md"
    path.write_text("---\ntitle: Tram opens\nsource: The Record\nurl: https://record.example/t\n"
                    "published: 2025-03-11T07:00:00+00:00\nlanguage: en\n---\n"
                    "The **tram** opened early.\n\nRiders [cheered](https://x.example).\n", encoding="utf-8")
    article = read_article_file(path, source="Folder", language="de")
    assert (article.title, article.source, article.language) == ("Tram opens", "The Record", "en")
    assert article.text == "The tram opened early.\n\nRiders cheered."
    assert article.published.isoformat() == "2025-03-11T07:00:00+00:00"


def test_plain_text_headline_and_sidecar(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Bacterium eats plastic additive\n\nResearchers said so. Others agreed.\n", encoding="utf-8")
    (tmp_path / "note.meta.yaml").write_text("source: Lumen\npublished: 2025-03-10\n", encoding="utf-8")
    article = read_article_file(path, source="Folder", language="en")
    assert article.title == "Bacterium eats plastic additive"
    assert article.text == "Researchers said so. Others agreed."
    assert article.source == "Lumen"
    assert article.published.tzinfo is not None


def test_plain_text_without_headline_gets_one_from_its_first_words(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("On March 12, 2025, developments surrounding the potential talks between the two countries escalated.",
                    encoding="utf-8")
    article = read_article_file(path, source="Folder", language="en")
    assert article.title.startswith("On March 12, 2025,") and article.title.endswith("…")
    assert article.text.startswith("On March 12")


def test_a_bad_date_names_the_key_and_the_expected_form(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: T\npublished: yesterday\n---\nBody.\n", encoding="utf-8")
    with pytest.raises(ArticleFileError, match="published: 'yesterday' is not a date; write it like 2025-"):
        read_article_file(path, source="F", language="en")


def test_an_unknown_metadata_key_is_reported(tmp_path):
    path = tmp_path / "typo.md"
    path.write_text("---\ntitel: T\n---\nBody.\n", encoding="utf-8")
    with pytest.raises(ArticleFileError, match="titel"):
        read_article_file(path, source="F", language="en")
