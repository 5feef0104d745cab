from briefing.audience import source_keys, tailor
from briefing.config import AudienceConfig, Config, SourceConfig
from briefing.errors import ConfigError
from briefing.model import Section, Story, Summary

import pytest

from .support import make_article


def story(key: str, text: str) -> Story:
    article = make_article(id=key, title=key, text=text)
    return Story(articles=(article,), summary=Summary(key, (), "lead"))


SECTIONS = [
    Section("World", (story("w1", "Troops at the border."), story("w2", "Talks on a ceasefire.")), "s1"),
    Section("Business", (story("b1", "Shares fell sharply."), story("b2", "Ceasefire lifts markets."),
                         story("b3", "A retailer's profit.")), "s2"),
    Section("Sport", (story("s1", "The match was a draw."),), "s3"),
]


def audience(**settings):
    return Config(audiences=(AudienceConfig(name="a", **settings),)).audience("a")


def shown(tailored) -> dict[str, list[str]]:
    return {s.title: [st.lead.id for st in s.stories] for s in tailored.sections}


def left_out(tailored) -> set[str]:
    return {st.lead.id for st in tailored.left_out}


def test_everything_by_default():
    tailored = tailor(SECTIONS, audience())
    assert shown(tailored) == {"World": ["w1", "w2"], "Business": ["b1", "b2", "b3"], "Sport": ["s1"]}
    assert tailored.left_out == ()


def test_include_and_exclude_keywords_match_stemmed_words():
    tailored = tailor(SECTIONS, audience(include=["ceasefires"], exclude=["markets"]))
    assert shown(tailored) == {"World": ["w2"]}
    assert left_out(tailored) == {"w1", "b1", "b2", "b3", "s1"}


def test_sections_hidden_pinned_and_limited():
    tailored = tailor(SECTIONS, audience(hidden_sections=["sport"], pinned_sections=["Business"],
                                         max_stories_per_section=2))
    assert list(shown(tailored)) == ["Business", "World"]
    assert shown(tailored)["Business"] == ["b1", "b2"]
    assert left_out(tailored) == {"b3", "s1"}
    only = tailor(SECTIONS, audience(sections=["World", "Sport"], max_sections=1))
    assert shown(only) == {"World": ["w1", "w2"]} and left_out(only) == {"b1", "b2", "b3", "s1"}


def test_defaults_come_from_the_shared_block_then_the_top_level():
    config = Config(
        title="Top", audience_defaults={"summary_sentences": 2, "timezone": "Europe/Berlin"},
        audiences=[{"name": "one"}, {"name": "two", "title": "Own", "summary_sentences": 5}],
    )
    one, two = config.resolved_audiences()
    assert (one.title, one.summary_sentences, one.timezone, one.template_set) == ("Top", 2, "Europe/Berlin", "default")
    assert (two.title, two.summary_sentences, two.timezone) == ("Own", 5, "Europe/Berlin")
    with pytest.raises(ConfigError, match="no audience named 'three'; the configured audiences are: one, two"):
        config.audience("three")


def test_sources_are_chosen_by_name_or_tag(tmp_path):
    sources = [SourceConfig(path=tmp_path / "a", name="Wire", tags=("world",)),
               SourceConfig(url="https://x.example/rss", name="Ledger", tags=("business", "world"))]
    assert source_keys(sources, audience()) is None
    assert source_keys(sources, audience(sources=["wire"])) == [sources[0].key]
    assert source_keys(sources, audience(sources=["business"])) == [sources[1].key]
    with pytest.raises(ConfigError, match="'nope' match no source name or tag"):
        source_keys(sources, audience(sources=["world", "nope"]))
