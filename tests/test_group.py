from briefing.config import GroupingConfig, SectionConfig, SummaryConfig
from briefing.group import build_sections, merge_stories
from briefing.summarise import summarise_all
from tests.support import make_article

WIND_A = make_article(id="w1", source="Wire", title="Regulator approves Greyhaven offshore wind farm",
                      text="The offshore wind farm at Greyhaven Bank won consent for 90 turbines and 1.4 GW. "
                           "Fishing crews oppose the turbines.")
WIND_B = make_article(id="w2", source="Harbour News", title="Greyhaven wind farm gets go-ahead despite fishing fleet",
                      text="Ninety turbines rated at 1.4 GW will stand on Greyhaven Bank after the offshore wind "
                           "farm was approved. The fishing fleet will appeal against the turbines.")
CHIPS = make_article(id="c1", source="Ledger", title="Veradyne opens chip plant",
                     text="Veradyne opened a semiconductor fabrication plant making power chips for cars.")
MATCH = make_article(id="m1", source="Sport Desk", title="Rovers win the cup semi-final on penalties",
                     text="Ashby Rovers won the semi-final match on penalties after a goalless draw.")


def stories_of(*articles, similarity=0.3):
    summaries = summarise_all(articles, SummaryConfig(sentences=1))
    return merge_stories(list(articles), summaries, similarity)


def test_the_same_event_from_two_outlets_is_one_story():
    stories = stories_of(WIND_A, CHIPS, WIND_B, MATCH)
    merged = [s for s in stories if len(s.articles) > 1]
    assert len(stories) == 3 and len(merged) == 1
    assert {a.id for a in merged[0].articles} == {"w1", "w2"}
    assert merged[0].summary.article_id == merged[0].lead.id


def test_a_strict_threshold_merges_nothing():
    assert len(stories_of(WIND_A, WIND_B, similarity=0.99)) == 2


def test_configured_sections_take_stories_by_keyword_in_configured_order():
    settings = GroupingConfig(sections=(
        SectionConfig(name="Sport", keywords=("match", "penalties")),
        SectionConfig(name="Energy", keywords=("wind farm", "turbine")),
    ), other_section="Elsewhere")
    sections = build_sections(stories_of(WIND_A, WIND_B, CHIPS, MATCH), settings)
    assert [(s.title, [st.lead.id for st in s.stories]) for s in sections] == [
        ("Sport", ["m1"]), ("Energy", [sections[1].stories[0].lead.id]), ("Elsewhere", ["c1"])]
    assert sections[1].stories[0].lead.id in {"w1", "w2"}
    assert len({s.anchor for s in sections}) == 3


def test_a_keyword_phrase_matches_whole_words_only():
    settings = GroupingConfig(sections=(SectionConfig(name="Art", keywords=("art",)),))
    sections = build_sections(stories_of(CHIPS), settings)
    assert [s.title for s in sections] == ["Other news"]


def test_automatic_sections_gather_related_stories_under_a_label():
    related = [make_article(id=f"e{i}", source=f"S{i}", title=f"Energy story {i}",
                            text=f"Grid operators and turbine makers plan {topic}. Wind power grows.")
               for i, topic in enumerate(["new cables", "more storage", "higher pylons"])]
    sections = build_sections(stories_of(*related, CHIPS, MATCH, similarity=0.9),
                              GroupingConfig(section_similarity=0.1))
    first = sections[0]
    assert len(first.stories) == 3
    assert first.title.startswith("Energy")  # the word all three share, weighted up in headlines
    assert sections[-1].title == "Other news"


def test_no_articles_no_stories():
    assert merge_stories([], {}, 0.3) == []


def test_every_story_lands_in_exactly_one_section():
    many = [make_article(id=f"x{i}", source="S", title=f"Item {i} about {topic}",
                         text=f"A report about {topic} and {topic} matters, number {i}.")
            for i, topic in enumerate(["rates", "rates", "chips", "chips", "rain", "goals", "goals", "art"] * 3)]
    stories = stories_of(*many, similarity=0.95)
    for settings in (GroupingConfig(), GroupingConfig(sections=(SectionConfig(name="Chips", keywords=("chips",)),))):
        placed = [story.lead.id for section in build_sections(stories, settings) for story in section.stories]
        assert sorted(placed) == sorted(s.lead.id for s in stories)
