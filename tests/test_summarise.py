import pytest

from briefing.config import SUMMARY_ALGORITHMS, SummaryConfig
from briefing.sentences import split_sentences
from briefing.summarise import summarise
from tests.support import SEED_ARTICLE, make_article

SEED_TEXT = SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.mark.parametrize("algorithm", SUMMARY_ALGORITHMS)
def test_every_method_picks_article_sentences_in_order_with_their_positions(algorithm):
    article = make_article(text=SEED_TEXT)
    summary = summarise(article, SummaryConfig(algorithm=algorithm, sentences=3, keep_lede=False))
    sentences = split_sentences(SEED_TEXT)
    assert len(summary.sentences) == 3
    positions = [s.position for s in summary.sentences]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert all(sentences[s.position] == s.text for s in summary.sentences)
    assert summary.method == algorithm


def test_lead_takes_the_first_sentences():
    summary = summarise(make_article(text=SEED_TEXT), SummaryConfig(algorithm="lead", sentences=2))
    assert [s.position for s in summary.sentences] == [0, 1]


def test_a_short_article_is_its_own_summary():
    summary = summarise(make_article(text="Only one sentence."), SummaryConfig(sentences=3))
    assert summary.text == "Only one sentence."


def test_an_empty_article_has_an_empty_summary():
    assert summarise(make_article(text=""), SummaryConfig()).sentences == ()


def test_a_huge_article_is_read_only_up_to_the_sentence_limit():
    huge = " ".join(f"Sentence {i} talks about the ceasefire talks in detail." for i in range(50_000))
    summary = summarise(make_article(text=huge), SummaryConfig(max_input_sentences=40))
    assert all(s.position < 40 for s in summary.sentences)
    assert len(summary.sentences) == 3


@pytest.mark.parametrize("keep_lede", [True, False])
def test_the_lede_opens_the_summary_only_when_asked(keep_lede):
    summary = summarise(make_article(text=SEED_TEXT), SummaryConfig(algorithm="lexrank", keep_lede=keep_lede))
    positions = [s.position for s in summary.sentences]
    assert (positions[0] == 0) is keep_lede  # LexRank alone does not pick the seed's first sentence
    assert len(positions) == 3 and positions == sorted(positions)
