from dataclasses import replace

import pytest

from briefing.model import Quote, Story, Summary, SummarySentence
from briefing.quotes import extract_quotes, key_quotes
from briefing.sentences import split_sentences
from tests.support import SEED_ARTICLE, make_article


@pytest.fixture(scope="module")
def seed_quotes() -> list[Quote]:
    return extract_quotes(SEED_ARTICLE.read_text(encoding="utf-8"))


def speakers(text: str) -> list[tuple[str | None, str]]:
    return [(q.speaker, q.text) for q in extract_quotes(text)]


def test_the_seed_articles_quotes_are_found_with_their_speakers(seed_quotes):
    found = {q.position: q.speaker for q in seed_quotes}
    assert found == {
        1: "Donald Trump",          # US President Donald Trump revealed …, "…"
        5: "Valery Gerasimov",      # General Valery Gerasimov, Chief of the …, was quoted saying, "…"
        8: "Putin",                 # Putin emphasized …, asserting, "…"
        9: "Putin",                 # "…," he added.  (the speaker of the quote before)
        11: "Oleksandr Syrskyj",    # He stated …, "…"  (the person the sentence before is about)
        15: "Karoline Leavitt",     # According to the BBC, press secretary Karoline Leavitt confirmed, "…"
        19: "Lavrov",               # "…," Lavrov stated.
        24: "Rubio",                # Rubio stated, "…"
        27: "Volodymyr Zelenskyy",  # "…," he stressed.
        28: "Trump",                # Reflecting on …, Trump expressed hopefulness, stating, "…"
        31: "a spokesperson for the Chinese Foreign Ministry",
    }


def test_the_seed_articles_phrases_in_quotes_are_not_quotations(seed_quotes):
    texts = " | ".join(q.text for q in seed_quotes)
    assert "Coalition of the Willing" not in texts  # a name in quotes
    assert "a positive step" not in texts and "a clear betrayal" not in texts  # partial quotes


def test_a_quote_keeps_all_its_sentences_and_its_position_counts_sentences_like_summaries(seed_quotes):
    leavitt = next(q for q in seed_quotes if q.speaker == "Karoline Leavitt")
    assert leavitt.text == ("We urge the Russians to sign this plan. The President expects Russia to assist "
                            "the US to bring this situation to the end as soon as possible.")
    sentences = split_sentences(SEED_ARTICLE.read_text(encoding="utf-8"))
    assert leavitt.text in sentences[leavitt.position]


def test_a_trailing_comma_is_not_part_of_the_quote(seed_quotes):
    lavrov = next(q for q in seed_quotes if q.speaker == "Lavrov")
    assert lavrov.text.endswith("poses a direct threat to Russia")


@pytest.mark.parametrize("text, speaker, quote", [
    ('"We will not move," Lavrov stated.', "Lavrov", "We will not move"),
    ('"The plan is sound," said Ms. Smith.', "Ms. Smith", "The plan is sound"),
    ('"The plan is sound," said Jane Smith, the finance minister.', "Jane Smith", "The plan is sound"),
    ('Smith said: "Prices will fall by spring."', "Smith", "Prices will fall by spring."),
    ('“We are ready for talks,” the minister said.', "the minister", "We are ready for talks"),
    ('“Nobody expected this,” Dr. Anna Berg told reporters.', "Anna Berg", "Nobody expected this"),
    ('Finance director Mr. Colin Ashdown said: "We plan for a flat year."', "Colin Ashdown",
     "We plan for a flat year."),
    ('"We were the better side", she said.', None, "We were the better side"),  # nobody named: no guess
    ('"Rates will rise," according to Mark Hale.', "Mark Hale", "Rates will rise"),
    ('‘We shall see,’ said Mr Jones.', "Mr Jones", "We shall see"),
])
def test_news_style_attributions(text, speaker, quote):
    assert speakers(text) == [(speaker, quote)]


def test_a_multi_sentence_quote_in_curly_quotes_is_one_quote():
    text = "Anna Berg said: “We tested it twice. It failed both times. We will not ship it.”"
    assert speakers(text) == [("Anna Berg", "We tested it twice. It failed both times. We will not ship it.")]


def test_a_quote_split_by_its_attribution_is_joined():
    assert speakers('"We are ready," he said, "but not at any price." Talks resume today.') == [
        (None, "We are ready, but not at any price.")]
    assert speakers('Mayor Lee spoke first. "We are ready," she said, "but not at any price."') == [
        ("Mayor Lee", "We are ready, but not at any price.")]  # an office goes only before a full name


def test_a_quote_standing_alone_after_an_attributed_one_continues_its_speaker():
    text = '"We were consulted, and then ignored," Tom Wren said.\n\n"Every boat here has fished that bank."'
    assert speakers(text) == [("Tom Wren", "We were consulted, and then ignored"),
                              ("Tom Wren", "Every boat here has fished that bank.")]


def test_no_speaker_is_invented_for_an_unattributed_quote():
    text = 'The sign on the gate read "No entry to the site after dark without a permit."'
    assert speakers(text) == [(None, "No entry to the site after dark without a permit.")]


def test_a_pronoun_with_nobody_before_it_gets_no_speaker():
    assert speakers('"The vote was close, but fair," he said.') == [(None, "The vote was close, but fair")]


def test_apostrophes_are_not_quotation_marks():
    assert extract_quotes("The workers’ union will strike. It’s the ‘90s all over again.") == []


def test_text_without_quotes_and_an_unclosed_mark_give_nothing():
    assert extract_quotes("Plain reporting with no quotation at all.") == []
    assert extract_quotes('He began: "This never closes and runs on') == []


def story_of(*texts: str, summary: str = "Something happened.") -> Story:
    articles = tuple(make_article(id=f"a{n}", text=text, source=f"Outlet {n}")
                     for n, text in enumerate(texts))
    return Story(articles, Summary(articles[0].id, (SummarySentence(summary, 0),), "lead"))


def test_key_quotes_prefer_named_substantive_quotes_and_one_per_speaker():
    story = story_of(
        '"Yes, we did it," Smith said. '
        '"The council will spend £40 million on new trams over the next five years," said Jane Smith. '
        '"Nobody here thinks that the timetable is realistic or that the money is enough," Tom Hale said. '
        '"That is a promise I intend to keep, whatever the budget looks like next year," said Jane Smith. '
        '"It was a long meeting and everyone was tired at the end of it," an aide said.')
    chosen = key_quotes(story, 3)
    assert [q.speaker for q in chosen] == ["Jane Smith", "Tom Hale", "an aide"]
    assert "£40 million" in chosen[0].text  # named, a figure, early
    assert all(q.text != "Yes, we did it" for q in key_quotes(story, 10))  # too short to say anything


def test_key_quotes_count_a_quote_carried_by_several_outlets_once_and_rank_it_higher():
    shared = '"This is the largest consent we have issued, and we did not issue it lightly," Ruth Kell said.'
    first = '"The turbines will be visible from every beach on this coast," Tom Wren said. '
    story = story_of(first + shared, shared)
    chosen = key_quotes(story, 5)
    assert [q.speaker for q in chosen] == ["Ruth Kell", "Tom Wren"]


def test_key_quotes_put_a_quote_the_summary_already_holds_last():
    quote = '"The bet only pays off if sales pick up again in 2026," Feng Aldous said.'
    other = '"Customers want a second source that is not on the other side of the world," Jo Okon said.'
    story = story_of(f"{quote} {other}", summary=quote)
    assert [q.speaker for q in key_quotes(story, 2)] == ["Jo Okon", "Feng Aldous"]
    assert key_quotes(story, 0) == []


def test_stories_carry_quotes_for_the_templates():
    story = story_of('"The plan is sound and it is funded," said Jane Smith.')
    assert story.quotes == ()
    assert replace(story, quotes=tuple(key_quotes(story, 2))).quotes[0].speaker == "Jane Smith"
