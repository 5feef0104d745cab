"""Summarise: extractive summaries with sumy, fully offline, in bounded time per article."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

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
from .sentences import SumyTokenizer, split_sentences

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


def summarise(article: Article, settings: SummaryConfig) -> Summary:
    """Pick the article's most central sentences, each kept with its position in the article."""
    sentences = leading_sentences(article.text, article.language, settings.max_input_sentences)
    if settings.algorithm == "lead" or len(sentences) <= settings.sentences:
        chosen = list(range(min(settings.sentences, len(sentences))))
    elif settings.keep_lede:
        rest = _rank_with_sumy(sentences[1:], article.language, settings.algorithm, settings.sentences - 1)
        chosen = [0, *(i + 1 for i in rest)]
    else:
        chosen = _rank_with_sumy(sentences, article.language, settings.algorithm, settings.sentences)
    return Summary(
        article_id=article.id,
        sentences=tuple(SummarySentence(sentences[i], i) for i in chosen),
        method=settings.algorithm,
    )


def summarise_all(
    articles: Iterable[Article], settings: SummaryConfig, progress: Callable[[int], None] | None = None
) -> dict[str, Summary]:
    summaries = {}
    for article in articles:
        summaries[article.id] = summarise(article, settings)
        if progress:
            progress(1)
    return summaries


def leading_sentences(text: str, language: str, limit: int) -> list[str]:
    """The first `limit` sentences; reads at most a bounded prefix of the text."""
    head = text[: limit * _MAX_CHARS_PER_SENTENCE_READ]
    return split_sentences(head, language)[:limit]


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


@lru_cache(maxsize=None)
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
