"""Group: the same story from several outlets merged into one Story; stories grouped into Sections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sumy.nlp.stemmers import Stemmer

from .config import GroupingConfig, SectionConfig
from .model import Article, Section, Story, Summary
from .sentences import words

_LETTER_WORDS = r"(?u)\b[^\W\d_]{3,}\b"
_TEXT_CHARS_COMPARED = 3000  # the lead of each article carries its story
_TITLE_WEIGHT = 3
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)
# Automatic sections of fewer than three stories, or than this share of all stories, go to the "other" section,
# so a big day gives a readable contents list rather than hundreds of tiny sections.
_MIN_SECTION_SHARE = 0.02


def merge_stories(articles: Sequence[Article], summaries: dict[str, Summary], similarity: float) -> list[Story]:
    """Merge articles whose text is at least `similarity` alike (TF-IDF cosine, average linkage)."""
    if not articles:
        return []
    matrix, vectorizer = _tfidf([_comparable_text(a) for a in articles])
    labels = _clusters(matrix, similarity)
    stories = []
    for label in sorted(set(labels)):
        indices = [i for i, lab in enumerate(labels) if lab == label]
        members = [articles[i] for i in sorted(indices, key=lambda i: _lead_preference(matrix, indices, articles[i], i))]
        stories.append(Story(articles=tuple(members), summary=summaries[members[0].id]))
    return stories


def build_sections(stories: Sequence[Story], settings: GroupingConfig) -> list[Section]:
    """Configured sections by keyword when any are configured, else sections found automatically."""
    if settings.sections:
        groups = _sections_by_keywords(stories, settings.sections, settings.other_section)
    else:
        groups = _sections_found_automatically(stories, settings.section_similarity, settings.other_section)
    return [
        Section(title=title, stories=tuple(sorted(members, key=_story_order)), anchor=f"section-{n}")
        for n, (title, members) in enumerate(groups, start=1)
        if members
    ]


def _comparable_text(article: Article) -> str:
    return " ".join([article.title] * _TITLE_WEIGHT + [article.text[:_TEXT_CHARS_COMPARED]])


def _story_text(story: Story) -> str:
    return " ".join(_comparable_text(a) for a in story.articles)


def _tfidf(texts: list[str]) -> tuple[csr_matrix, TfidfVectorizer]:
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, token_pattern=_LETTER_WORDS)
    try:
        return vectorizer.fit_transform(texts), vectorizer
    except ValueError:  # every text empty or only stop words
        return csr_matrix((len(texts), 1)), vectorizer


def _clusters(matrix: csr_matrix, similarity: float) -> list[int]:
    if matrix.shape[0] == 1:
        return [0]
    distances = 1.0 - (matrix @ matrix.T).toarray()
    np.clip(distances, 0.0, 1.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - similarity
    )
    return model.fit_predict(distances).tolist()


def _lead_preference(matrix: csr_matrix, members: list[int], article: Article, index: int) -> tuple:
    """The account most like all the others leads a story (not an outlet's side angle); then the fullest."""
    centrality = float((matrix[index] @ matrix[members].T).sum())
    return (-round(centrality, 6), -len(article.text), article.published or _EPOCH)


def _story_order(story: Story) -> tuple:
    newest = max((a.published for a in story.articles if a.published), default=_EPOCH)
    return (-len(story.articles), -newest.timestamp(), story.lead.title)


def _sections_by_keywords(
    stories: Sequence[Story], sections: Sequence[SectionConfig], other: str
) -> list[tuple[str, list[Story]]]:
    stem = _stemmer()
    patterns = [[_phrase_pattern(keyword, stem) for keyword in s.keywords] for s in sections]
    groups: list[tuple[str, list[Story]]] = [(s.name, []) for s in sections] + [(other, [])]
    for story in stories:
        title = _stemmed(" ".join(a.title for a in story.articles), stem)
        body = _stemmed(" ".join(a.text for a in story.articles), stem)
        scores = [sum(_TITLE_WEIGHT * len(p.findall(title)) + len(p.findall(body)) for p in section)
                  for section in patterns]
        best = int(np.argmax(scores)) if max(scores) > 0 else len(sections)
        groups[best][1].append(story)
    return groups


def mentions(story: Story, phrases: Sequence[str]) -> bool:
    """Whether any of the story's articles mentions one of the phrases (stemmed, whole words)."""
    stem = _stemmer()
    text = _stemmed(" ".join(f"{a.title} {a.text}" for a in story.articles), stem)
    return any(_phrase_pattern(phrase, stem).search(text) for phrase in phrases)


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer("english")


def _stemmed(text: str, stem) -> str:
    return " " + " ".join(stem(w.lower()) for w in words(text)) + " "


def _phrase_pattern(keyword: str, stem) -> re.Pattern:
    return re.compile(re.escape(_stemmed(keyword, stem)))


def _sections_found_automatically(
    stories: Sequence[Story], similarity: float, other: str
) -> list[tuple[str, list[Story]]]:
    if len(stories) < 3:
        return [("Top stories", list(stories))]
    matrix, vectorizer = _tfidf([_story_text(s) for s in stories])
    labels = _clusters(matrix, similarity)
    clusters: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        clusters.setdefault(label, []).append(index)
    groups: list[tuple[str, list[Story]]] = []
    loose: list[Story] = []
    smallest = max(3, round(len(stories) * _MIN_SECTION_SHARE))
    for members in sorted(clusters.values(), key=len, reverse=True):
        if len(members) < smallest:
            loose.extend(stories[i] for i in members)
        else:
            groups.append((_label(matrix, vectorizer, members), [stories[i] for i in members]))
    groups.append((other, loose))
    return groups


def _label(matrix: csr_matrix, vectorizer: TfidfVectorizer, members: list[int], size: int = 3) -> str:
    """The terms that most distinguish these stories from the rest, e.g. 'Ceasefire · Russia · Ukraine'."""
    inside = np.asarray(matrix[members].mean(axis=0)).ravel()
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    shared = np.asarray((matrix[members] > 0).sum(axis=0)).ravel() >= min(2, len(members))
    score = np.where(shared, inside * (inside / (overall + 1e-9)), 0.0)
    terms = vectorizer.get_feature_names_out()
    best = [terms[i] for i in np.argsort(-score)[:size] if score[i] > 0]
    return " · ".join(t.capitalize() for t in best) or "Stories"
