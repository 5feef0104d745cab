"""Group: the same story from several outlets merged into one Story; stories grouped into Sections.

Both steps compare TF-IDF vectors (cosine). Earlier articles (`history`, e.g. the state database's
recent ones) may be given as context: they are never shown, but they steady the term weights and
give a small day more stories to learn its sections from.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize
from sumy.nlp.stemmers import Stemmer

from .config import GroupingConfig, SectionConfig
from .model import Article, Section, Story, Summary
from .sentences import words

_LETTER_WORDS = r"(?u)\b[^\W\d_]{3,}\b"
_TEXT_CHARS_COMPARED = 3000  # the lead of each article carries its story
_TITLE_WEIGHT = 3
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)
# Each article is compared in full with every other, but only its nearest neighbours (and only those at
# least `similarity` alike) are kept as candidates for merging: memory grows with n, not n².
_NEIGHBOURS = 30
_TEASER_TERMS = 25  # distinct terms in a headline and a sentence or two; up to this, plain cosine
_ROWS_PER_BLOCK = 512
# Configured sections: a story whose keywords point clearly to one section (at least twice the score of
# the next) seeds it; then every story goes to the section whose stories it most resembles.
_CLEAR_LEAD = 2.0
_PROPAGATION_ROUNDS = 3
# Automatic sections: k-means in a reduced (LSA) space; the number of sections is the one whose
# partition comes out the same from different starting points.
_SECTION_COUNTS = range(3, 11)
_STABILITY_RUNS = 8  # 4 runs chose a different k from batch to batch: tune NMI 0.826, with 8 0.856
_STABILITY_SAMPLE = 1500
# LSA dimensions: one per 30 texts (at least 10), chosen on the tune half of BBC batches of 200 with
# 1,000 articles of history (benchmarks/grouping_quality.py): NMI 0.86 at 40 dimensions, 0.84 at 60.
_TEXTS_PER_DIMENSION = 30
_ACCOUNTS_COMPARED = 5  # articles of a story whose text places it in a section
_SECTION_TERMS = 20_000  # the most frequent terms are enough to tell sections apart, and keep LSA fast
_MIN_SECTION_SHARE = 0.02  # smaller automatic sections (or under 3 stories) go to the "other" section


def merge_stories(
    articles: Sequence[Article],
    summaries: dict[str, Summary],
    similarity: float,
    history: Sequence[Article] = (),
) -> list[Story]:
    """Merge articles that are on average at least `similarity` alike (TF-IDF cosine, average linkage).

    The similarity is the cosine of two teasers; longer texts must be more alike (see `_length_weighted`).
    `history`: earlier articles, used only to weigh the terms (how common a word is in the news).
    """
    if not articles:
        return []
    matrix, _ = _tfidf([_comparable_text(a) for a in articles], [_comparable_text(a) for a in history])
    labels = average_linkage(_length_weighted(matrix), similarity)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    stories = []
    for indices in members.values():
        ordered = [articles[i] for i in _lead_first(matrix, indices, articles)]
        stories.append(Story(articles=tuple(ordered), summary=summaries[ordered[0].id]))
    return stories


def build_sections(
    stories: Sequence[Story], settings: GroupingConfig, history: Sequence[Article] = (),
) -> list[Section]:
    """Configured sections (keywords, then resemblance) when any are configured, else sections found automatically.

    `history`: earlier articles, which the sections are learnt from along with these stories.
    """
    if settings.sections:
        groups = _sections_by_keywords(stories, settings.sections, settings.other_section,
                                       settings.section_similarity, history)
    else:
        groups = _sections_found_automatically(stories, settings.section_similarity, settings.other_section,
                                               history)
    return [
        Section(title=title, stories=tuple(sorted(members, key=_story_order)), anchor=f"section-{n}")
        for n, (title, members) in enumerate(groups, start=1)
        if members
    ]


def mentions(story: Story, phrases: Sequence[str]) -> bool:
    """Whether any of the story's articles mentions one of the phrases (stemmed, whole words)."""
    text = _stemmed(" ".join(f"{a.title} {a.text}" for a in story.articles))
    return any(_stemmed(phrase) in text for phrase in phrases)


def average_linkage(matrix: csr_matrix, similarity: float, neighbours: int = _NEIGHBOURS) -> list[int]:
    """Cluster labels: rows merged while two clusters are on average at least `similarity` alike (dot product).

    The same clusters as average linkage on the full n×n matrix cut at `similarity`: two clusters that
    are on average that alike have at least one pair that is, so only such pairs are candidates; and the
    average similarity of two clusters is the dot product of their mean vectors, computed exactly. When
    an article has more than `neighbours` candidates only the nearest are kept, which in practice
    changes nothing (a big story stays connected through its members' nearest neighbours).
    """
    count = matrix.shape[0]
    if count == 0:
        return []
    matrix = csr_matrix(matrix, dtype=np.float64)
    bounds = matrix.indptr
    sums = {i: (matrix.indices[bounds[i]:bounds[i + 1]], matrix.data[bounds[i]:bounds[i + 1]]) for i in range(count)}
    sizes = dict.fromkeys(range(count), 1)
    adjacent: dict[int, set[int]] = {i: set() for i in range(count)}
    first, second, values = _candidate_pairs(matrix, similarity, neighbours)
    for a, b in zip(first.tolist(), second.tolist()):
        adjacent[a].add(b)
        adjacent[b].add(a)
    heap = list(zip((-values).tolist(), first.tolist(), second.tolist()))
    heapq.heapify(heap)
    parent = list(range(count))
    scratch = np.zeros(matrix.shape[1])
    next_id = count
    while heap:
        negative, a, b = heapq.heappop(heap)
        if -negative < similarity:
            break
        if a not in sizes or b not in sizes:
            continue  # one of the two was merged already
        merged, next_id = next_id, next_id + 1
        parent.append(merged)
        parent[a] = parent[b] = merged
        (terms_a, weights_a), (terms_b, weights_b) = sums.pop(a), sums.pop(b)
        scratch[terms_a] += weights_a
        scratch[terms_b] += weights_b
        terms = np.union1d(terms_a, terms_b)
        size = sizes.pop(a) + sizes.pop(b)
        around = (adjacent.pop(a) | adjacent.pop(b)) - {a, b}
        for other in around:
            adjacent[other] -= {a, b}
            adjacent[other].add(merged)
            other_terms, other_weights = sums[other]
            value = float(scratch[other_terms] @ other_weights) / (size * sizes[other])
            if value >= similarity:
                heapq.heappush(heap, (-value, other, merged))
        sums[merged] = (terms, scratch[terms].copy())
        scratch[terms] = 0.0
        sizes[merged] = size
        adjacent[merged] = around
    return [_root(parent, i) for i in range(count)]


def _length_weighted(matrix: csr_matrix) -> csr_matrix:
    """Rows scaled down so that two texts longer than a teaser must be alike by more, with √ of their length.

    Short texts share few words even when they tell the same story, long ones share many by chance:
    on the benchmark sets the cosine that best told stories apart grew with the square root of the
    texts' length (0.07 for snippets of 23 distinct terms, 0.12 for articles of 65). The cosine of two
    texts of `_TEASER_TERMS` terms or fewer counts in full, of longer ones (teaser² / (terms × terms))^¼.
    """
    terms = np.maximum(np.diff(matrix.indptr), 1).astype(np.float64)
    weights = np.minimum(1.0, (_TEASER_TERMS / terms) ** 0.25)
    return csr_matrix(matrix.multiply(weights[:, None]), dtype=np.float64)


def _candidate_pairs(matrix: csr_matrix, similarity: float, neighbours: int) -> tuple[np.ndarray, ...]:
    """Pairs (i < j) and their cosine: each row's nearest rows at least `similarity` alike, in blocks of rows."""
    count = matrix.shape[0]
    transposed = matrix.T.tocsr()
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, count, _ROWS_PER_BLOCK):
        block = (matrix[start:start + _ROWS_PER_BLOCK] @ transposed).toarray()
        block[np.arange(block.shape[0]), np.arange(block.shape[0]) + start] = -1.0  # never a pair with itself
        rows, cols = np.nonzero(block >= similarity)
        crowded = np.flatnonzero(np.bincount(rows, minlength=block.shape[0]) > neighbours)
        if len(crowded):  # keep only the nearest of these rows' candidates
            nearest = np.argpartition(-block[crowded], neighbours - 1, axis=1)[:, :neighbours]
            cutoff = np.full(block.shape[0], -np.inf)
            cutoff[crowded] = np.take_along_axis(block[crowded], nearest, axis=1).min(axis=1)
            kept = block[rows, cols] >= cutoff[rows]
            rows, cols = rows[kept], cols[kept]
        found.append((rows + start, cols, block[rows, cols]))
    rows, cols, values = (np.concatenate(parts) for parts in zip(*found)) if found else (np.array([], int),) * 3
    first, second = np.minimum(rows, cols), np.maximum(rows, cols)
    _, unique = np.unique(first.astype(np.int64) * count + second, return_index=True)
    return first[unique], second[unique], values[unique].astype(np.float64)


def _root(parent: list[int], node: int) -> int:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _comparable_text(article: Article) -> str:
    return " ".join([article.title] * _TITLE_WEIGHT + [article.text[:_TEXT_CHARS_COMPARED]])


def _story_text(story: Story) -> str:
    """The first few accounts of a story: enough to place it, and bounded however many outlets tell it."""
    return " ".join(_comparable_text(a) for a in story.articles[:_ACCOUNTS_COMPARED])


def _tfidf(texts: list[str], context: Sequence[str] = (), min_df: int = 1,
           max_features: int | None = None) -> tuple[csr_matrix, TfidfVectorizer]:
    """TF-IDF rows for `texts`; the weights are learnt from `texts` and `context` together."""
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, token_pattern=_LETTER_WORDS, dtype=np.float32,
        min_df=min_df if len(texts) + len(context) >= 20 else 1, max_features=max_features,
    )
    try:
        matrix = vectorizer.fit_transform(list(texts) + list(context))
    except ValueError:  # every text empty or only stop words
        return csr_matrix((len(texts), 1), dtype=np.float32), vectorizer
    return matrix[:len(texts)], vectorizer


def _lead_first(matrix: csr_matrix, indices: list[int], articles: Sequence[Article]) -> list[int]:
    """The account most like all the others leads a story (not an outlet's side angle); then the fullest."""
    if len(indices) == 1:
        return indices
    rows = matrix[indices]
    centrality = np.asarray(rows @ rows.sum(axis=0).T).ravel()
    return [index for _, index in sorted(
        zip(centrality, indices),
        key=lambda pair: (-round(float(pair[0]), 5), -len(articles[pair[1]].text),
                          articles[pair[1]].published or _EPOCH),
    )]


def _story_order(story: Story) -> tuple:
    newest = max((a.published for a in story.articles if a.published), default=_EPOCH)
    return (-len(story.articles), -newest.timestamp(), story.lead.title)


def _sections_by_keywords(
    stories: Sequence[Story], sections: Sequence[SectionConfig], other: str, similarity: float,
    history: Sequence[Article],
) -> list[tuple[str, list[Story]]]:
    """Keywords seed each section with the stories that clearly belong there; every story then goes to the
    section whose stories it most resembles, or, when it resembles none by `similarity`, to the section its
    keywords point to, else to `other`."""
    groups: list[tuple[str, list[Story]]] = [(s.name, []) for s in sections] + [(other, [])]
    if not stories:
        return groups
    texts = [_story_text(s) for s in stories] + [_comparable_text(a) for a in history]
    titles = [" ".join(a.title for a in s.articles) for s in stories] + [a.title for a in history]
    leads = [s.lead.text[:_TEXT_CHARS_COMPARED] for s in stories] + [a.text[:_TEXT_CHARS_COMPARED] for a in history]
    scores = _keyword_scores(titles, leads, sections)
    matrix, _ = _tfidf(texts, max_features=_SECTION_TERMS)
    labels = _propagate(matrix, scores, similarity)
    for story, label in zip(stories, labels):
        groups[label if label >= 0 else len(sections)][1].append(story)
    return groups


def _keyword_scores(titles: Sequence[str], bodies: Sequence[str], sections: Sequence[SectionConfig]) -> np.ndarray:
    """Per story and section: how often its keywords occur (stemmed, whole words), a headline match counting triple."""
    keywords = [[_stemmed(k) for k in s.keywords] for s in sections]
    scores = np.zeros((len(titles), len(sections)))
    for row, (title, body) in enumerate(zip(titles, bodies)):
        title, body = _stemmed(title), _stemmed(body)
        scores[row] = [sum(_TITLE_WEIGHT * title.count(k) + body.count(k) for k in section) for section in keywords]
    return scores


def _propagate(matrix: csr_matrix, scores: np.ndarray, similarity: float) -> np.ndarray:
    """Section per row (-1: none) from clear keyword seeds, refined by nearness to each section's mean row."""
    ranked = np.sort(scores, axis=1)
    best = ranked[:, -1]
    runner_up = ranked[:, -2] if scores.shape[1] > 1 else np.zeros(len(scores))
    by_keyword = np.where(best > 0, scores.argmax(axis=1), -1)
    labels = np.where((best > 0) & (best >= _CLEAR_LEAD * runner_up), by_keyword, -1)
    for _ in range(_PROPAGATION_ROUNDS):
        centroids = np.zeros((scores.shape[1], matrix.shape[1]))
        for section in range(scores.shape[1]):
            chosen = labels == section
            if chosen.any():
                centroids[section] = np.asarray(matrix[chosen].mean(axis=0)).ravel()
        nearness = np.asarray(matrix @ normalize(centroids).T)
        labels = np.where(nearness.max(axis=1) >= similarity, nearness.argmax(axis=1), by_keyword)
    return labels


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer()(word)


def _stemmed(text: str) -> str:
    """' word word ... ': stemmed words between spaces, so that ' keyword ' matches whole words only."""
    return " " + " ".join(map(_stem, words(text.lower()))) + " "


def _sections_found_automatically(
    stories: Sequence[Story], similarity: float, other: str, history: Sequence[Article],
) -> list[tuple[str, list[Story]]]:
    if len(stories) < 3:
        return [("Top stories", list(stories))]
    texts = [_story_text(s) for s in stories] + [_comparable_text(a) for a in history]
    matrix, vectorizer = _tfidf(texts, min_df=2, max_features=_SECTION_TERMS)
    labels = _topic_clusters(matrix)[:len(stories)]
    own = matrix[:len(stories)]
    clusters: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        clusters.setdefault(int(label), []).append(index)
    groups: list[tuple[str, list[Story]]] = []
    loose: list[Story] = []
    smallest = max(3, round(len(stories) * _MIN_SECTION_SHARE))
    for members in sorted(clusters.values(), key=len, reverse=True):
        members, strays = _close_to_centre(own, members, similarity)
        loose.extend(stories[i] for i in strays)
        if len(members) < smallest:
            loose.extend(stories[i] for i in members)
        else:
            groups.append((_label(own, vectorizer, members), [stories[i] for i in members]))
    groups.append((other, loose))
    return groups


def _topic_clusters(matrix: csr_matrix) -> np.ndarray:
    """k-means on an LSA projection, with the number of clusters whose partition is most reproducible."""
    count = matrix.shape[0]
    dimensions = min(100, max(10, count // _TEXTS_PER_DIMENSION), count - 1, matrix.shape[1] - 1)
    if dimensions < 2:
        return np.zeros(count, dtype=int)
    points = normalize(TruncatedSVD(dimensions, random_state=0).fit_transform(matrix))
    candidates = [k for k in _SECTION_COUNTS if k <= count // 2] or [2]
    sample = points
    if count > _STABILITY_SAMPLE:
        sample = points[np.random.default_rng(0).choice(count, _STABILITY_SAMPLE, replace=False)]
    stability = {k: _stability(sample, k) for k in candidates}
    chosen = max(candidates, key=lambda k: (round(stability[k], 3), -k))
    return KMeans(chosen, n_init=10, random_state=0).fit_predict(points)


def _stability(points: np.ndarray, k: int) -> float:
    """Mean agreement (adjusted Rand) of k-means partitions started from different seeds."""
    runs = [KMeans(k, n_init=1, random_state=seed).fit_predict(points) for seed in range(_STABILITY_RUNS)]
    return float(np.mean([adjusted_rand_score(runs[i], runs[j])
                          for i in range(len(runs)) for j in range(i + 1, len(runs))]))


def _close_to_centre(matrix: csr_matrix, members: list[int], similarity: float) -> tuple[list[int], list[int]]:
    """Members at least `similarity` alike to the rest of their section (cosine to the others' mean), and the others."""
    if len(members) < 2:
        return members, []
    rows = matrix[members]
    total = np.asarray(rows.sum(axis=0), dtype=np.float64).ravel()
    with_total = np.asarray(rows @ total).ravel()
    own = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
    # |total - row|² = |total|² - 2 row·total + |row|², without making the rows dense
    others_norm = np.sqrt(np.maximum(total @ total - 2 * with_total + own, 1e-12))
    nearness = (with_total - own) / others_norm
    return ([m for m, n in zip(members, nearness) if n >= similarity],
            [m for m, n in zip(members, nearness) if n < similarity])


def _label(matrix: csr_matrix, vectorizer: TfidfVectorizer, members: list[int], size: int = 3) -> str:
    """The terms that most distinguish these stories from the rest, e.g. 'Ceasefire · Russia · Ukraine'."""
    inside = np.asarray(matrix[members].mean(axis=0)).ravel()
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    shared = np.asarray((matrix[members] > 0).sum(axis=0)).ravel() >= min(2, len(members))
    score = np.where(shared, inside * (inside / (overall + 1e-9)), 0.0)
    terms = vectorizer.get_feature_names_out()
    best = [terms[i] for i in np.argsort(-score)[:size] if score[i] > 0]
    return " · ".join(t.capitalize() for t in best) or "Stories"
