"""Plain typed data passed from stage to stage: Article → Summary → Story → Section → Briefing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Article:
    """One article as gathered, with its text already cleaned of markup."""

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    published: datetime | None = None
    language: str = "en"
    origin: str = ""  # the file or feed it came from, for messages


@dataclass(frozen=True)
class SummarySentence:
    """A sentence chosen for a summary, with its index among the article's sentences."""

    text: str
    position: int
    article_id: str | None = None  # the article it came from, in an overview drawn from several


@dataclass(frozen=True)
class Summary:
    article_id: str
    sentences: tuple[SummarySentence, ...]
    method: str

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True)
class Quote:
    """A direct quotation, its speaker when the text names one, and the index of its sentence in the article."""

    text: str
    speaker: str | None
    position: int


@dataclass(frozen=True)
class Story:
    """One event, told by one or more articles; the first article leads."""

    articles: tuple[Article, ...]
    summary: Summary
    quotes: tuple[Quote, ...] = ()  # the story's key quotes, most substantive first

    @property
    def lead(self) -> Article:
        return self.articles[0]

    @property
    def also_reported_by(self) -> tuple[Article, ...]:
        return self.articles[1:]


@dataclass(frozen=True)
class Section:
    title: str
    stories: tuple[Story, ...]
    anchor: str


@dataclass(frozen=True)
class Problem:
    """Something that went wrong with one source, reported instead of aborting the run."""

    source: str
    message: str
    since: datetime | None = None  # when the source started failing


@dataclass(frozen=True)
class Briefing:
    title: str
    audience: str
    date: date
    sections: tuple[Section, ...]
    generated_at: datetime
    problems: tuple[Problem, ...] = ()
    source_names: tuple[str, ...] = field(default=())

    @property
    def story_count(self) -> int:
        return sum(len(s.stories) for s in self.sections)

    @property
    def article_count(self) -> int:
        return sum(len(story.articles) for s in self.sections for story in s.stories)

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(sorted({a.source for s in self.sections for story in s.stories for a in story.articles}))
