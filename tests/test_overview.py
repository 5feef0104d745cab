from briefing.overview import OVERVIEW_WEIGHTS, overview
from briefing.sentences import content_terms
from briefing.summarise import leading_sentences, similarity, word_count
from tests.support import make_article

WIRE = make_article(id="wire", source="Wire", text=(
    "The city council voted on Tuesday to extend the tram line to the harbour district by 2028. "
    "The extension will add six stops and cost 240 million euros, the council said. "
    "Construction is due to start next spring."
))
LOCAL = make_article(id="local", source="Local", text=(
    "The city council voted on Tuesday to extend the tram line to the harbour district by 2028. "
    "Shop owners along the harbour route will be compensated for lost trade during the tram works. "
    "Opposition councillors said the tram extension budget of 240 million euros was too optimistic."
))
RADIO = make_article(id="radio", source="Radio", text=(
    "On Tuesday, the council voted to extend the city's tram line to the harbour district by 2028. "
    "Commuters from the harbour district currently need 40 minutes by bus to reach the tram network. "
    "The tram extension vote passed by 31 votes to 12."
))


def test_an_overview_draws_from_several_articles_and_says_each_thing_once():
    summary = overview([WIRE, LOCAL, RADIO], words=80)
    assert len({s.article_id for s in summary.sentences}) >= 2
    texts = [s.text for s in summary.sentences]
    assert len(texts) == len(set(texts))
    terms = [content_terms(t) for t in texts]
    assert all(similarity(a, b) <= OVERVIEW_WEIGHTS.redundancy
               for n, a in enumerate(terms) for b in terms[n + 1:])


def test_the_lede_all_three_outlets_share_appears_once():
    summary = overview([WIRE, LOCAL, RADIO], words=80)
    ledes = [s for s in summary.sentences if "voted" in s.text]
    assert len(ledes) == 1


def test_each_overview_sentence_names_its_article_and_position():
    articles = {a.id: a for a in (WIRE, LOCAL, RADIO)}
    summary = overview(list(articles.values()), words=80)
    for sentence in summary.sentences:
        source = articles[sentence.article_id]
        assert leading_sentences(source.text, source.language, 30)[sentence.position] == sentence.text
    assert summary.article_id == "wire" and summary.method == "overview"


def test_an_overview_keeps_within_its_word_budget_and_shows_ledes_first():
    for budget in (20, 40, 80):
        summary = overview([WIRE, LOCAL, RADIO], words=budget)
        assert 0 < word_count(summary.text) <= budget
        positions = [s.position for s in summary.sentences]
        assert positions == sorted(positions)


def test_an_overview_of_one_article_is_drawn_from_it_alone():
    summary = overview([WIRE], words=40)
    assert {s.article_id for s in summary.sentences} == {"wire"}


def test_an_overview_of_nothing_is_empty():
    assert overview([], words=50).sentences == ()
    assert overview([make_article(text="")], words=50).sentences == ()


def test_an_overview_of_huge_articles_stays_bounded():
    huge = make_article(id="huge", text="A sentence of news about the tram here. " * 40_000)
    summary = overview([huge, WIRE], words=50)
    assert all(s.position < 30 for s in summary.sentences)
    assert word_count(summary.text) <= 50
