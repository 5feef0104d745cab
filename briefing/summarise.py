"""Summarise: extractive summaries, fully offline, in bounded time per article.

The default method, "briefing", takes whole sentences within a word budget. Each sentence scores
the weighted sum of a few plain signals (weights in `BriefingWeights`):

- position, 1 / (1 + position), with finer marks for being the first, second or third sentence
  and for the relative place in the article;
- three kinds of centrality, each 0 to 1 (1 for the most central sentence): how much of the
  article's core vocabulary it holds (the stems found in the most sentences), its TF-IDF cosine
  to the article as a whole, and how many of its word pairs the rest of the article repeats
  (names, "kidney transplant");
- a number in it: news is concrete; and capitalised names;
- who says it: a sentence that opens with a quotation, or attributes words ("said",
  "according to"), is someone's view more often than the news itself; a question;
- its length: a sentence under 15 words says little, a long one spends the budget.

Sentences are taken best first, skipping any too short to say much and any that repeats one
already taken. The budget rule is the lead baseline's: "overrun" adds sentences while the
summary is under the budget, the last one whole (never past 1.5 × the budget); "strict" takes
only sentences that fit. They are shown in article order, each with its position. sumy's own
methods and the lead follow the same rule. Every method reads only the first
`max_input_sentences` sentences, so any article is summarised in bounded time, and the first
sentence loses its dateline ("LONDON (Reuters) - ").
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from .config import SummaryConfig
from .model import Article, Summary, SummarySentence
from .sentences import SumyTokenizer, content_terms, split_sentences, strip_dateline, word_pairs

_SUMY_CLASSES = {
    "lexrank": LexRankSummarizer,
    "luhn": LuhnSummarizer,
    "lsa": LsaSummarizer,
    "textrank": TextRankSummarizer,
    "sumbasic": SumBasicSummarizer,
    "kl": KLSummarizer,
}
# Splitting is linear, but only the head of a huge text is worth splitting at all.
_MAX_CHARS_PER_SENTENCE_READ = 2000
# Part of every cache key: bump it when a method comes to choose differently, so old summaries are redone.
METHOD_VERSION = 3
_QUOTE_MARKS = ('"', "“", "”", "«", "»")
_DIGIT = re.compile(r"\d")
_ATTRIBUTION = re.compile(r"\b(?:said|says|told|according)\b")
_NAME = re.compile(r"\b[A-Z][a-z]+")
_MAX_NAMES = 10


@dataclass(frozen=True)
class Weights:
    """How a story's overview scores sentences (overview.py): position prior + centrality − quote
    penalty, over length ** length_exponent."""

    position_exponent: float = 1.5  # a in 1 / (1 + position) ** a
    centrality: float = 0.6  # weight of centrality (0-1) against the position prior (1 for the first)
    keywords: int = 40  # how many of the most widespread stems make the article's core vocabulary
    quote_penalty: float = 0.2
    length_exponent: float = 0.0
    min_words: int = 8  # shorter sentences are taken only when no longer one is left
    redundancy: float = 0.9  # a sentence this similar (cosine of stems) to a chosen one is skipped


@dataclass(frozen=True)
class BriefingWeights:
    """How the "briefing" method scores an article's sentences: the weight of each of `FEATURES`.
    Chosen on CNN articles 1-500 (benchmarks/summary_quality.py --tune): a least-squares fit to each
    sentence's own ROUGE, then coordinate ascent on the summaries' R-1 + R-2; position has 1."""

    position: float = 1.0  # 1 / (1 + position)
    first_sentence: float = -0.098
    core_vocabulary: float = 0.203
    article_cosine: float = 0.201
    repeated_pairs: float = 0.255
    number: float = 0.047
    shortness: float = 0.161  # (15 − words) / 15 for a sentence under 15 words
    length: float = -0.323  # words / 60, at most 1
    quotation: float = 0.015  # it holds a quotation mark
    opens_with_quote: float = -0.562  # it begins with one: someone's words, seldom the news itself
    attribution: float = -0.154  # "said", "says", "told", "according"
    question: float = 0.076  # it ends with a question mark
    second_sentence: float = -0.088
    third_sentence: float = -0.027
    relative_position: float = 0.102  # position / (sentences − 1): 0 first, 1 last
    names: float = 0.024  # capitalised words but one at the very start (which any sentence has), up to 10, / 10
    keywords: int = 10  # how many of the most widespread stems make the core vocabulary
    min_words: int = 8  # shorter sentences are taken only when no longer one is left
    redundancy: float = 0.9  # a sentence this similar (cosine of stems) to a chosen one is skipped

    def vector(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in FEATURES)


FEATURES = (
    "position", "first_sentence", "core_vocabulary", "article_cosine", "repeated_pairs", "number",
    "shortness", "length", "quotation", "opens_with_quote", "attribution", "question", "second_sentence",
    "third_sentence", "relative_position", "names",
)
DEFAULT_WEIGHTS = BriefingWeights()
_SHORT_SENTENCE = 15  # words; below it a sentence seldom carries the news
_LONG_SENTENCE = 60  # words; the length feature saturates here
# Under the overrun rule the last sentence may run past the budget, but only this far.
OVERRUN_LIMIT = 1.5
# Starting the worker processes costs about 2 s (measured on 2 cores: 3,000 articles took 9.4 s in
# this process and 8.6 s shared, 5,000 took 11.1 s and 7.3 s), so only a larger batch is shared.
_PARALLEL_FROM = 2000
_MAX_WORKERS = 4
_CHUNK = 32
# Summaries are written to the cache in batches: one committed write each took ~1 ms (a sync to disk),
# as long as summarising a short article.
_CACHE_BATCH = 500


class SummaryCache(Protocol):
    """Where summaries of unchanged articles are kept between runs (the state store implements it).

    `content_key` is `summary_key(article, settings)`: it changes whenever the article's title or
    text, its language, the summary settings or `METHOD_VERSION` change.
    """

    def get(self, article_id: str, content_key: str) -> Summary | None: ...

    def put_many(self, entries: Sequence[tuple[str, str, Summary]]) -> None:
        """Keep each (article_id, content_key, summary), in one write."""


def summarise(article: Article, settings: SummaryConfig) -> Summary:
    """Pick the article's summary sentences, each kept with its position in the article, in article order."""
    sentences = leading_sentences(article.text, article.language, settings.max_input_sentences)
    budget, count, rule = settings.words, settings.sentences, settings.budget_rule
    if settings.algorithm == "briefing":
        chosen = choose_sentences(sentences, article.language, budget, count, settings.keep_lede, budget_rule=rule)
    elif settings.algorithm == "lead" or len(sentences) <= count:
        chosen = _fitting(list(range(min(count, len(sentences)))), sentences, budget, rule, contiguous=True)
    elif settings.keep_lede:
        rest = _rank_with_sumy(sentences[1:], article.language, settings.algorithm, count - 1)
        chosen = _fitting([0, *(i + 1 for i in rest)], sentences, budget, rule)
    else:
        ranked = _rank_with_sumy(sentences, article.language, settings.algorithm, count)
        chosen = _fitting(ranked, sentences, budget, rule)
    limit = word_limit(budget, rule)
    return Summary(
        article_id=article.id,
        sentences=tuple(SummarySentence(within_budget(sentences[i], limit), i) for i in chosen),
        method=settings.algorithm,
    )


def summarise_all(
    articles: Iterable[Article],
    settings: SummaryConfig,
    progress: Callable[[int], None] | None = None,
    cache: SummaryCache | None = None,
) -> dict[str, Summary]:
    """Summarise each article; with a cache, one whose text and settings are unchanged is not redone."""
    summaries: dict[str, Summary | None] = {}
    missing: list[tuple[Article, str]] = []
    for article in articles:
        key = summary_key(article, settings) if cache is not None else ""
        summaries[article.id] = cache.get(article.id, key) if cache is not None else None
        if summaries[article.id] is None:
            missing.append((article, key))
        elif progress:
            progress(1)
    unsaved: list[tuple[str, str, Summary]] = []
    for (article, key), summary in zip(missing, _summarised([a for a, _ in missing], settings), strict=True):
        summaries[article.id] = summary
        if cache is not None:
            unsaved.append((article.id, key, summary))
            if len(unsaved) == _CACHE_BATCH:
                cache.put_many(unsaved)
                unsaved = []
        if progress:
            progress(1)
    if cache is not None and unsaved:
        cache.put_many(unsaved)
    return summaries  # type: ignore[return-value]  # every None was filled in


def _summarised(articles: list[Article], settings: SummaryConfig) -> Iterator[Summary]:
    """Each article's summary, in order; a large batch is shared among worker processes, one per core."""
    one = functools.partial(summarise, settings=settings)
    workers = min(os.cpu_count() or 1, _MAX_WORKERS)
    if len(articles) < _PARALLEL_FROM or workers < 2:
        yield from map(one, articles)
        return
    # spawn, not fork: the caller may hold threads and an open SQLite connection; and not forkserver,
    # whose server process (with everything it imported) would outlive the pool until the run ends.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(one, articles, chunksize=_CHUNK)


def summary_key(article: Article, settings: SummaryConfig) -> str:
    """A hash of everything a summary depends on: the article's title, text and language, and the settings."""
    relevant = settings.model_dump(mode="json", exclude={"overview_words"})
    payload = json.dumps([METHOD_VERSION, relevant, article.language, article.title, article.text])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def leading_sentences(text: str, language: str, limit: int) -> list[str]:
    """The first `limit` sentences, the first without its dateline; reads a bounded prefix of the text."""
    head = text[: limit * _MAX_CHARS_PER_SENTENCE_READ]
    sentences = split_sentences(head, language)[:limit]
    if sentences:
        sentences[0] = strip_dateline(sentences[0])
    return sentences


def word_count(text: str) -> int:
    """Words as a reader counts them (a budget of 50 is 50 of these)."""
    return len(text.split())


def word_limit(budget: int, budget_rule: str) -> int:
    """The most words a summary may have: the budget, or under "overrun" 1.5 × the budget (0: none)."""
    return int(budget * OVERRUN_LIMIT) if budget_rule == "overrun" else budget


# --- the "briefing" method ------------------------------------------------------------------

def choose_sentences(
    sentences: Sequence[str],
    language: str,
    budget: int,
    max_sentences: int,
    keep_lede: bool,
    weights: BriefingWeights = DEFAULT_WEIGHTS,
    budget_rule: str = "overrun",
) -> list[int]:
    """Positions of the sentences to show, in article order: best first under `budget` words
    (0: no budget; `budget_rule` as in SummaryConfig) and `max_sentences`, none repeating another."""
    if not sentences or max_sentences < 1:
        return []
    terms = [content_terms(s, language) for s in sentences]
    lengths = [word_count(s) for s in sentences]
    vector = weights.vector()
    scores = [sum(w * x for w, x in zip(vector, row))
              for row in sentence_features(sentences, terms, lengths, weights.keywords)]
    everyone = range(len(sentences))
    long_enough = [i for i in everyone if lengths[i] >= weights.min_words] or list(everyone)
    ranked = sorted(long_enough, key=lambda i: -scores[i])  # stable: earlier first between equals
    if keep_lede:
        ranked = [0, *(i for i in ranked if i != 0)]
    overrun = budget_rule == "overrun"
    return sorted(pick(ranked, lengths, terms, budget, max_sentences, weights.redundancy, overrun))


def sentence_features(
    sentences: Sequence[str], terms: Sequence[frozenset[str]], lengths: Sequence[int], keywords: int,
) -> list[tuple[float, ...]]:
    """Per sentence, the values of `FEATURES`, in that order."""
    core = centrality(terms, keywords)
    cosine = article_cosine(terms)
    pairs = repeated_pairs(sentences)
    last = max(1, len(sentences) - 1)
    return [
        (
            1 / (1 + i), float(i == 0), core[i], cosine[i], pairs[i], float(_DIGIT.search(sentence) is not None),
            max(0, _SHORT_SENTENCE - length) / _SHORT_SENTENCE, min(length, _LONG_SENTENCE) / _LONG_SENTENCE,
            float(any(mark in sentence for mark in _QUOTE_MARKS)), float(sentence.lstrip()[:1] in _QUOTE_MARKS),
            float(_ATTRIBUTION.search(sentence) is not None), float(sentence.rstrip().endswith("?")),
            float(i == 1), float(i == 2), i / last, min(len(_NAME.findall(sentence, 1)), _MAX_NAMES) / _MAX_NAMES,
        )
        for i, (sentence, length) in enumerate(zip(sentences, lengths))
    ]


def article_cosine(terms: Sequence[frozenset[str]]) -> list[float]:
    """Per sentence, 0 to 1: TF-IDF cosine of its stems to the whole article's (IDF over the
    article's own sentences), scaled so that the closest has 1."""
    spread = Counter(term for sentence_terms in terms for term in sentence_terms)
    idf = {term: math.log((len(terms) + 1) / (n + 0.5)) for term, n in spread.items()}
    article = {term: n * idf[term] for term, n in spread.items()}
    article_norm = math.sqrt(sum(v * v for v in article.values())) or 1.0
    cosines = []
    for sentence_terms in terms:
        norm = math.sqrt(sum(idf[t] ** 2 for t in sentence_terms)) or 1.0
        cosines.append(sum(idf[t] * article[t] for t in sentence_terms) / norm / article_norm)
    top = max(cosines, default=0.0)
    return [c / top if top > 0 else 0.0 for c in cosines]


def repeated_pairs(sentences: Sequence[str]) -> list[float]:
    """Per sentence, 0 to 1: how often the rest of the article repeats its word pairs, scaled so
    that the highest has 1."""
    pairs = [word_pairs(s) for s in sentences]
    spread = Counter(pair for sentence_pairs in pairs for pair in sentence_pairs)
    totals = [sum(spread[pair] - 1 for pair in sentence_pairs) for sentence_pairs in pairs]
    top = max(totals, default=0)
    return [total / top if top else 0.0 for total in totals]


def sentence_scores(
    sentences: Sequence[str], positions: Iterable[int], central: Sequence[float], lengths: Sequence[int],
    weights: Weights,
) -> list[float]:
    """Per sentence: its position's prior plus its centrality, less any quote penalty, over its length."""
    scores = []
    for sentence, position, central_part, length in zip(sentences, positions, central, lengths):
        score = 1 / (1 + position) ** weights.position_exponent + weights.centrality * central_part
        if any(mark in sentence for mark in _QUOTE_MARKS):
            score -= weights.quote_penalty
        scores.append(score / max(1, length) ** weights.length_exponent)
    return scores


def centrality(terms: Sequence[frozenset[str]], keywords: int) -> list[float]:
    """Per sentence, 0 to 1: the summed sentence counts of the core stems it holds (the `keywords`
    stems found in the most sentences, at least two), scaled so that the most central has 1."""
    # sorted() is stable and Counter keeps first-seen order: ties go to the stem met first (within a
    # sentence, alphabetically, so that the choice does not depend on the hash seed of the process)
    spread = Counter(term for sentence_terms in terms for term in sorted(sentence_terms))
    core = dict(sorted(((t, n) for t, n in spread.items() if n > 1), key=lambda item: -item[1])[:keywords])
    totals = [sum(core.get(term, 0) for term in sentence_terms) for sentence_terms in terms]
    top = max(totals, default=0)
    return [total / top if top else 0.0 for total in totals]


def pick(
    ranked: Sequence[int],
    lengths: Sequence[int],
    terms: Sequence[frozenset[str]],
    budget: int,
    max_count: int,
    redundancy: float,
    overrun: bool = False,
) -> list[int]:
    """From the best down: each candidate that still fits `max_count` and the budget, and does not
    repeat one taken (cosine of their stems above `redundancy`). The budget is `budget` words, or
    with `overrun` candidates are taken until `budget` is reached, within 1.5 × `budget`.
    Nothing fits: the best alone."""
    chosen: list[int] = []
    used = 0
    limit = word_limit(budget, "overrun" if overrun else "strict")
    for i in ranked:
        if len(chosen) == max_count or (overrun and budget and used >= budget):
            break
        if limit and used + lengths[i] > limit:
            continue
        if any(similarity(terms[i], terms[j]) > redundancy for j in chosen):
            continue
        chosen.append(i)
        used += lengths[i]
    return chosen or list(ranked[:1])


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine of two sets of stems."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


# --- budgets -------------------------------------------------------------------------------

def _fitting(
    chosen: list[int], sentences: Sequence[str], budget: int, budget_rule: str, contiguous: bool = False,
) -> list[int]:
    """The chosen sentences, in article order, that fit the budget under `budget_rule`; a lead stops
    at the first misfit."""
    if not budget or not chosen:
        return chosen
    kept, used = [], 0
    limit = word_limit(budget, budget_rule)
    for i in sorted(chosen):
        if budget_rule == "overrun" and used >= budget:
            break
        length = word_count(sentences[i])
        if used + length > limit:
            if contiguous:
                break
            continue
        kept.append(i)
        used += length
    return kept or [min(chosen)]


def within_budget(sentence: str, budget: int) -> str:
    """A sentence longer than the whole limit alone is cut at it."""
    if not budget or word_count(sentence) <= budget:
        return sentence
    return " ".join(sentence.split()[:budget]) + "…"


# --- sumy's methods --------------------------------------------------------------------------

def _rank_with_sumy(sentences: list[str], language: str, algorithm: str, count: int) -> list[int]:
    if count < 1:
        return []
    tokenizer = SumyTokenizer(language)
    document = ObjectDocumentModel([Paragraph([Sentence(s, tokenizer) for s in sentences])])
    summarizer = _summarizer(algorithm, tokenizer.language)
    with np.errstate(all="ignore"):  # LexRank divides by zero when no two sentences share a word
        picked = summarizer(document, count)
    position = {}
    for index, sentence in enumerate(sentences):
        position.setdefault(sentence.strip(), index)
    return sorted(position[str(s)] for s in picked)


@functools.lru_cache(maxsize=None)
def _summarizer(algorithm: str, sumy_language: str):
    try:
        stemmer = Stemmer(sumy_language)
    except LookupError:
        stemmer = null_stemmer
    summarizer = _SUMY_CLASSES[algorithm](stemmer)
    try:
        summarizer.stop_words = get_stop_words(sumy_language)
    except LookupError:
        summarizer.stop_words = frozenset()
    return summarizer
