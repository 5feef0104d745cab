"""Overview: a short account of one story drawn from all the articles that tell it, saying each thing once.

Every article's leading sentences are candidates. A sentence scores as in the article summary
(summarise.sentence_scores): the prior of its position in its own article plus its centrality,
here measured against the vocabulary of the whole story, so what several outlets report counts
most; a direct quotation is marked down. Sentences are taken best first while they fit the word
budget, skipping any that repeats one already taken, even in other words from another outlet (cosine of
their stems above `redundancy`). They are shown ledes first: by position, then by article.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import Article, Summary, SummarySentence
from .sentences import content_terms
from .summarise import (
    Weights, centrality, leading_sentences, pick, sentence_scores, within_budget, word_count,
)

# Chosen on Multi-News clusters 1-250 (benchmarks/overview_quality.py --tune).
OVERVIEW_WEIGHTS = Weights(
    position_exponent=0.25, centrality=2.0, keywords=40, quote_penalty=0.1, length_exponent=0.0, min_words=5,
    redundancy=0.5,
)
MAX_SENTENCES_PER_ARTICLE = 30  # the head of each article; bounds the time for a story of many long articles


def overview(articles: Sequence[Article], words: int, weights: Weights = OVERVIEW_WEIGHTS) -> Summary:
    """At most `words` words on the story `articles` tell; each sentence keeps its article and position."""
    candidates = [
        (article, position, sentence)
        for article in articles
        for position, sentence in enumerate(
            leading_sentences(article.text, article.language, MAX_SENTENCES_PER_ARTICLE))
    ]
    method = "overview"
    article_id = articles[0].id if articles else ""
    if not candidates:
        return Summary(article_id=article_id, sentences=(), method=method)
    terms = [content_terms(sentence, article.language) for article, _, sentence in candidates]
    lengths = [word_count(sentence) for _, _, sentence in candidates]
    scores = sentence_scores(
        [sentence for _, _, sentence in candidates], [position for _, position, _ in candidates],
        centrality(terms, weights.keywords), lengths, weights,
    )
    indices = range(len(candidates))
    long_enough = [i for i in indices if lengths[i] >= weights.min_words] or list(indices)
    ranked = sorted(long_enough, key=lambda i: -scores[i])
    chosen = pick(ranked, lengths, terms, words, len(candidates), weights.redundancy)
    order = {article.id: n for n, article in enumerate(articles)}
    chosen.sort(key=lambda i: (candidates[i][1], order[candidates[i][0].id]))
    return Summary(
        article_id=article_id,
        sentences=tuple(
            SummarySentence(within_budget(candidates[i][2], words), candidates[i][1], candidates[i][0].id)
            for i in chosen
        ),
        method=method,
    )
