import numpy as np
from sklearn.cluster import AgglomerativeClustering

from briefing.config import GroupingConfig, SectionConfig, SummaryConfig
from briefing.group import _length_weighted, _tfidf, average_linkage, build_sections, merge_stories
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


def test_a_story_without_keywords_joins_the_section_it_resembles():
    rovers = [make_article(id=f"r{i}", source=f"S{i}", title=f"Ashby Rovers {event}",
                           text=f"Ashby Rovers {event} at the match on Saturday, the manager said. Rovers fans cheered.")
              for i, event in enumerate(["win the derby", "draw away", "lose at home"])]
    signing = make_article(id="r9", source="S9", title="Ashby Rovers sign a striker",
                           text="Ashby Rovers signed a striker on Friday; Rovers fans cheered the manager.")
    settings = GroupingConfig(sections=(SectionConfig(name="Sport", keywords=("match",)),
                                        SectionConfig(name="Energy", keywords=("turbine",))))
    sections = build_sections(stories_of(*rovers, signing, CHIPS, WIND_A, similarity=0.9), settings)
    by_title = {s.title: {st.lead.id for st in s.stories} for s in sections}
    assert by_title["Sport"] == {"r0", "r1", "r2", "r9"}
    assert by_title["Other news"] == {"c1"}  # resembles no section, mentions no keyword


def test_history_weighs_the_terms_when_merging():
    first = make_article(id="h1", title="Harbour council approves budget", text="The harbour council approved it.")
    second = make_article(id="h2", title="Harbour festival draws crowds", text="The harbour festival was busy.")
    common = [make_article(id=f"old{i}", title=f"Harbour news {i}", text=f"Harbour report number {i} on {topic}.")
              for i, topic in enumerate(["ferries", "fish", "cranes", "tides", "boats", "piers"] * 5)]
    today = [first, second, CHIPS, MATCH, WIND_A]
    summaries = summarise_all(today, SummaryConfig(sentences=1))
    alone = merge_stories(today, summaries, 0.15)
    with_history = merge_stories(today, summaries, 0.15, history=common)
    assert len(alone) == 4  # "harbour" is all the two share, and today it looks rare
    assert len(with_history) == 5  # the history shows it is common
    assert {a.id for story in with_history for a in story.articles} == {a.id for a in today}


def test_history_teaches_configured_sections_without_appearing():
    history = [make_article(id=f"old{i}", title=f"Rovers {event}", text=f"Rovers {event} in the match. The striker scored.")
               for i, event in enumerate(["win", "draw", "lose", "win again"])]
    signing = make_article(id="new", title="Rovers sign a striker", text="Rovers signed a striker on Friday.")
    settings = GroupingConfig(sections=(SectionConfig(name="Sport", keywords=("match",)),))
    stories = stories_of(signing)
    assert [s.title for s in build_sections(stories, settings)] == ["Other news"]
    sections = build_sections(stories, settings, history=history)
    assert [(s.title, [st.lead.id for st in s.stories]) for s in sections] == [("Sport", ["new"])]


def test_the_scalable_linkage_finds_the_clusters_of_the_full_matrix():
    rng = np.random.default_rng(7)
    vocabulary = [f"word{i}" for i in range(400)]
    texts = []
    for story in range(25):
        own = rng.choice(vocabulary, 12, replace=False)
        for _ in range(int(rng.integers(1, 7))):
            texts.append(" ".join(list(rng.choice(own, 8)) + list(rng.choice(vocabulary, 10))))
    matrix, _ = _tfidf(texts)
    assert matrix.shape[0] > 60  # more articles than nearest neighbours kept
    for similarity in (0.1, 0.2, 0.3, 0.5):
        distances = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, None)
        np.fill_diagonal(distances, 0.0)
        dense = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                        distance_threshold=1.0 - similarity + 1e-9).fit_predict(distances)
        assert _partition(average_linkage(matrix, similarity, neighbours=10)) == _partition(dense)


def test_average_linkage_of_one_or_empty_texts():
    matrix, _ = _tfidf(["", "", "the and of"])
    assert len(set(average_linkage(matrix, 0.3))) == 3
    assert average_linkage(matrix[:1], 0.3) == [0]


def _partition(labels) -> set[frozenset[int]]:
    groups: dict = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, set()).add(index)
    return {frozenset(g) for g in groups.values()}


def test_longer_texts_must_be_more_alike_to_merge():
    letters = [f"w{a}{b}" for a in "abcdefghij" for b in "abcdefghij"]  # 100 distinct words
    short, long = " ".join(letters[:20]), " ".join(letters)
    matrix, _ = _tfidf([short, long])
    weighted = _length_weighted(matrix)
    assert np.isclose((weighted[0] @ weighted[0].T).toarray()[0, 0], 1.0)  # a teaser's cosine counts in full
    assert np.isclose((weighted[1] @ weighted[1].T).toarray()[0, 0], (25 / 100) ** 0.5)
