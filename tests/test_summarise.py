import pytest

from briefing.config import SUMMARY_ALGORITHMS, SummaryConfig
from briefing.model import Summary
from briefing.sentences import split_sentences
from briefing.summarise import (
    DEFAULT_WEIGHTS, choose_sentences, leading_sentences, summarise, summarise_all, summary_key, word_count,
)
from tests.support import SEED_ARTICLE, make_article

SEED_TEXT = SEED_ARTICLE.read_text(encoding="utf-8")
STORY = (
    "Think back. "
    "The city council voted on Tuesday to extend the tram line to the harbour district by 2028. "
    "The extension will add six stops and cost 240 million euros, according to the council's transport team. "
    '"This is a great day for everyone who lives here," one resident told reporters outside the hall. '
    "Construction of the tram extension is due to start next spring, once the harbour plans are final. "
    "Shops along the route will receive compensation during the works."
)


@pytest.mark.parametrize("algorithm", SUMMARY_ALGORITHMS)
def test_every_method_picks_article_sentences_in_order_with_their_positions(algorithm):
    article = make_article(text=SEED_TEXT)
    summary = summarise(article, SummaryConfig(algorithm=algorithm, sentences=3, words=0, keep_lede=False))
    sentences = split_sentences(SEED_TEXT)
    assert len(summary.sentences) == 3
    positions = [s.position for s in summary.sentences]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert all(sentences[s.position] == s.text for s in summary.sentences)
    assert summary.method == algorithm


@pytest.mark.parametrize("algorithm", SUMMARY_ALGORITHMS)
@pytest.mark.parametrize("budget", [25, 50, 80])
def test_every_method_keeps_within_the_word_budget_under_the_strict_rule(algorithm, budget):
    settings = SummaryConfig(algorithm=algorithm, words=budget, sentences=5, budget_rule="strict")
    summary = summarise(make_article(text=SEED_TEXT), settings)
    assert 0 < word_count(summary.text) <= budget


@pytest.mark.parametrize("algorithm", SUMMARY_ALGORITHMS)
@pytest.mark.parametrize("budget", [25, 50, 80])
def test_under_the_overrun_rule_only_the_last_sentence_runs_past_the_budget_and_never_far(algorithm, budget):
    settings = SummaryConfig(algorithm=algorithm, words=budget, sentences=5, budget_rule="overrun")
    summary = summarise(make_article(text=SEED_TEXT), settings)
    lengths = [word_count(s.text) for s in summary.sentences]
    assert 0 < sum(lengths) <= 1.5 * budget
    assert sum(lengths[:-1]) < budget  # a sentence is added only while the summary is under the budget


def test_the_overrun_lead_adds_sentences_until_the_budget_is_reached():
    sentences = leading_sentences(SEED_TEXT, "en", 80)
    first_two = word_count(sentences[0]) + word_count(sentences[1])
    budget = first_two - 10  # the first sentence is under it, so the second is added and runs past it
    assert word_count(sentences[0]) < budget and first_two <= 1.5 * budget
    settings = SummaryConfig(algorithm="lead", sentences=5, words=budget, budget_rule="overrun")
    summary = summarise(make_article(text=SEED_TEXT), settings)
    assert [s.position for s in summary.sentences] == [0, 1]


def test_the_sentence_count_is_an_upper_bound_under_the_budget():
    summary = summarise(make_article(text=STORY), SummaryConfig(words=1000, sentences=2))
    assert len(summary.sentences) == 2


@pytest.mark.parametrize(("rule", "limit"), [("strict", 30), ("overrun", 45)])
def test_a_sentence_longer_than_the_whole_limit_is_cut_to_it(rule, limit):
    text = " ".join(f"word{i}" for i in range(200)) + "."
    summary = summarise(make_article(text=text), SummaryConfig(words=30, budget_rule=rule))
    assert word_count(summary.text) == limit and summary.text.endswith(f"word{limit - 1}…")
    assert summary.sentences[0].position == 0


def test_the_default_method_prefers_the_news_to_a_short_hook_and_a_quote():
    summary = summarise(make_article(text=STORY), SummaryConfig(words=50, keep_lede=False))
    positions = [s.position for s in summary.sentences]
    assert 1 in positions and 0 not in positions and 3 not in positions


def test_the_sentence_features_say_what_their_names_say():
    from briefing.sentences import content_terms
    from briefing.summarise import FEATURES, sentence_features

    sentences = ['"We will not give up," the mayor said.', "Is this the end of the tram?",
                 "Trams in Paris, Lyon and Lille carried 12 million people.", "It rained."]
    rows = sentence_features(sentences, [content_terms(s) for s in sentences],
                             [word_count(s) for s in sentences], DEFAULT_WEIGHTS.keywords)
    value = [dict(zip(FEATURES, row)) for row in rows]
    assert [v["quotation"] for v in value] == [1, 0, 0, 0]
    assert [v["opens_with_quote"] for v in value] == [1, 0, 0, 0]
    assert [v["attribution"] for v in value] == [1, 0, 0, 0]
    assert [v["question"] for v in value] == [0, 1, 0, 0]
    assert [v["number"] for v in value] == [0, 0, 1, 0]
    assert [v["second_sentence"] for v in value] == [0, 1, 0, 0]
    assert [v["third_sentence"] for v in value] == [0, 0, 1, 0]
    assert [v["relative_position"] for v in value] == [0, 1 / 3, 2 / 3, 1]
    # capitalised words not at the very start: "We" after the quote mark; Paris, Lyon, Lille, not "Trams"
    assert [v["names"] for v in value] == [0.1, 0, 0.3, 0]
    assert value[0]["first_sentence"] == 1 and value[3]["shortness"] > value[2]["shortness"]


def test_a_sentence_that_opens_with_a_quote_gives_way_to_the_same_news_told_plainly():
    text = ("The harbour will reopen to ferries on Monday after a month of repairs to its main pier. "
            '"The harbour will reopen to ferries on Monday," the port authority said in a statement today. '
            "Repairs to the main pier cost four million euros and were paid for by the regional government.")
    chosen = choose_sentences(split_sentences(text), "en", 20, 1, False)
    assert chosen == [0]
    swapped = split_sentences(text)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert choose_sentences(swapped, "en", 20, 1, False) == [1]  # even when the quote comes first


def test_keep_lede_opens_with_the_first_sentence_however_short():
    summary = summarise(make_article(text=STORY), SummaryConfig(words=50, keep_lede=True))
    assert summary.sentences[0].position == 0 and summary.sentences[0].text == "Think back."


def test_a_dateline_is_not_part_of_the_summary_but_positions_still_count_it():
    text = "WASHINGTON (Reuters) - The Senate passed the budget bill late on Friday. " + STORY
    summary = summarise(make_article(text=text), SummaryConfig(algorithm="lead", sentences=1))
    assert summary.sentences[0].text == "The Senate passed the budget bill late on Friday."
    assert summary.sentences[0].position == 0


def test_a_repeated_sentence_is_not_chosen_twice():
    lede = "The city council voted on Tuesday to extend the tram line to the harbour district by 2028."
    text = f"{lede} {lede} {lede} Shops along the route will receive compensation during the works."
    summary = summarise(make_article(text=text), SummaryConfig(words=0, sentences=3))
    texts = [s.text for s in summary.sentences]
    assert texts.count(lede) == 1 and len(texts) == 2


def test_lead_takes_the_first_sentences():
    summary = summarise(make_article(text=SEED_TEXT), SummaryConfig(algorithm="lead", sentences=2, words=0))
    assert [s.position for s in summary.sentences] == [0, 1]


def test_the_lead_stops_at_the_first_sentence_that_does_not_fit():
    sentences = leading_sentences(SEED_TEXT, "en", 80)
    budget = word_count(sentences[0]) + 1  # the second sentence does not fit, later shorter ones would
    settings = SummaryConfig(algorithm="lead", sentences=5, words=budget, budget_rule="strict")
    summary = summarise(make_article(text=SEED_TEXT), settings)
    assert [s.position for s in summary.sentences] == [0]


def test_a_short_article_is_its_own_summary():
    summary = summarise(make_article(text="Only one sentence."), SummaryConfig(sentences=3))
    assert summary.text == "Only one sentence."


@pytest.mark.parametrize("algorithm", SUMMARY_ALGORITHMS)
def test_an_empty_article_has_an_empty_summary(algorithm):
    assert summarise(make_article(text=""), SummaryConfig(algorithm=algorithm)).sentences == ()


def test_a_huge_article_is_read_only_up_to_the_sentence_limit():
    topics = ["ceasefire", "troops", "sanctions", "markets", "harvest", "elections", "tram"]
    huge = " ".join(f"Sentence {i} talks about the {topics[i % 7]} in detail." for i in range(50_000))
    summary = summarise(make_article(text=huge), SummaryConfig(max_input_sentences=40, sentences=3, words=0))
    assert all(s.position < 40 for s in summary.sentences)
    assert len(summary.sentences) == 3


@pytest.mark.parametrize("text", ["word " * 200_000, "A sentence of news here. " * 40_000])
def test_a_megabyte_of_text_still_gives_a_summary_within_the_budget(text):
    settings = SummaryConfig()
    summary = summarise(make_article(text=text), settings)
    assert 0 < word_count(summary.text) <= 1.5 * settings.words
    assert all(s.position < settings.max_input_sentences for s in summary.sentences)


@pytest.mark.parametrize("keep_lede", [True, False])
def test_the_lede_opens_the_summary_only_when_asked(keep_lede):
    settings = SummaryConfig(algorithm="lexrank", keep_lede=keep_lede, sentences=3, words=0)
    summary = summarise(make_article(text=SEED_TEXT), settings)
    positions = [s.position for s in summary.sentences]
    assert (positions[0] == 0) is keep_lede  # LexRank alone does not pick the seed's first sentence
    assert len(positions) == 3 and positions == sorted(positions)


def test_choose_sentences_returns_article_order_within_budget():
    sentences = leading_sentences(SEED_TEXT, "en", 80)
    chosen = choose_sentences(sentences, "en", 60, 4, False, DEFAULT_WEIGHTS, budget_rule="strict")
    assert chosen == sorted(chosen)
    assert sum(word_count(sentences[i]) for i in chosen) <= 60


def test_a_short_hook_is_passed_over_for_a_sentence_that_carries_the_news():
    # same centrality and numbers for both: the first is short and first, which the weights mark down
    lede = "It happened again."
    news = "The council voted on Tuesday to extend the tram line to the harbour by 2028, at a cost of 240 million euros."
    rest = "Shops along the route will get help. The works start next spring."
    summary = summarise(make_article(text=f"{lede} {news} {rest}"), SummaryConfig(words=25, sentences=1))
    assert [s.position for s in summary.sentences] == [1]


def test_summaries_do_not_depend_on_the_hash_seed_of_the_process():
    import subprocess
    import sys

    code = ("from briefing.summarise import summarise; from briefing.config import SummaryConfig; "
            "from tests.support import SEED_ARTICLE, make_article; "
            "print(summarise(make_article(text=SEED_ARTICLE.read_text()), SummaryConfig(sentences=3)).text)")
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


# --- the cache -------------------------------------------------------------------------------------

class CountingCache:
    def __init__(self):
        self.stored: dict[tuple[str, str], Summary] = {}
        self.gets = self.puts = self.writes = 0

    def get(self, article_id, content_key):
        self.gets += 1
        return self.stored.get((article_id, content_key))

    def put_many(self, entries):
        self.writes += 1
        for article_id, content_key, summary in entries:
            self.puts += 1
            self.stored[(article_id, content_key)] = summary


@pytest.fixture
def counted(monkeypatch):
    """Counts how often an article is actually summarised."""
    import briefing.summarise as module

    calls = []
    real = module.summarise

    def counting(article, settings):
        calls.append(article.id)
        return real(article, settings)

    monkeypatch.setattr(module, "summarise", counting)
    return calls


def test_an_unchanged_article_is_not_summarised_again(counted):
    articles = [make_article(id="a", text=SEED_TEXT), make_article(id="b", text=STORY)]
    cache = CountingCache()
    first = summarise_all(articles, SummaryConfig(), cache=cache)
    assert counted == ["a", "b"] and cache.puts == 2
    second = summarise_all(articles, SummaryConfig(), cache=cache)
    assert counted == ["a", "b"]  # nothing recomputed
    assert second == first


def test_new_summaries_are_kept_in_batches_and_none_is_left_unsaved(monkeypatch):
    import briefing.summarise as module

    monkeypatch.setattr(module, "_CACHE_BATCH", 2)
    articles = [make_article(id=f"a{n}", text=STORY + f" Note {n}.") for n in range(5)]
    cache = CountingCache()
    summaries = summarise_all(articles, SummaryConfig(), cache=cache)
    assert cache.writes == 3 and cache.puts == 5
    assert {article_id: summary for (article_id, _), summary in cache.stored.items()} == summaries


def test_an_edited_article_or_new_settings_are_summarised_again(counted):
    cache = CountingCache()
    summarise_all([make_article(id="a", text=STORY)], SummaryConfig(), cache=cache)
    edited = make_article(id="a", text=STORY + " A correction was added.")
    summarise_all([edited], SummaryConfig(), cache=cache)
    summarise_all([make_article(id="a", text=STORY)], SummaryConfig(words=30), cache=cache)
    summarise_all([make_article(id="a", text=STORY, title="New headline")], SummaryConfig(), cache=cache)
    assert counted == ["a", "a", "a", "a"]


def test_the_summary_key_covers_text_title_language_and_settings():
    article = make_article(text=STORY)
    key = summary_key(article, SummaryConfig())
    assert key == summary_key(make_article(text=STORY), SummaryConfig())
    assert key != summary_key(make_article(text=STORY, title="Other"), SummaryConfig())
    assert key != summary_key(make_article(text=STORY, language="de"), SummaryConfig())
    assert key != summary_key(article, SummaryConfig(sentences=3))
    assert key != summary_key(article, SummaryConfig(budget_rule="strict"))
    assert key == summary_key(article, SummaryConfig(overview_words=120))  # overviews are not cached here


def test_summarise_all_reports_progress_per_article():
    ticks = []
    summarise_all([make_article(id="a"), make_article(id="b")], SummaryConfig(), ticks.append)
    assert ticks == [1, 1]


def test_a_large_batch_shared_among_worker_processes_gives_the_same_summaries_in_order(monkeypatch):
    import briefing.summarise as module

    articles = [make_article(id=f"a{n}", text=(SEED_TEXT if n % 2 else STORY) + f" Note {n}.") for n in range(6)]
    alone = summarise_all(articles, SummaryConfig())
    monkeypatch.setattr(module, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(module.os, "cpu_count", lambda: 2)
    pools = []

    class RecordedPool(module.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(module, "ProcessPoolExecutor", RecordedPool)
    cache, ticks = CountingCache(), []
    shared = summarise_all(articles, SummaryConfig(), progress=ticks.append, cache=cache)
    assert pools == [(2,)]
    assert shared == alone and list(shared) == [a.id for a in articles]
    assert cache.puts == 6 and ticks == [1] * 6
