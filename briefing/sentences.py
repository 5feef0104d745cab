"""Sentence splitting for news prose, and the tokenizer object that sumy needs.

sumy's stock tokenizer needs NLTK's punkt data, which cannot be downloaded at run time;
sentencex is rule-based, fast and offline. It breaks inside a multi-sentence quotation,
so split pieces are joined again until their quotation marks balance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sentencex

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_MAX_JOINED = 5  # a stray quote mark must not swallow the rest of the article

_SUMY_LANGUAGES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "sv": "swedish", "cs": "czech", "sk": "slovak",
    "pl": "polish", "el": "greek", "uk": "ukrainian", "ru": "russian", "fi": "finnish",
    "da": "danish", "no": "norwegian", "hu": "hungarian", "ro": "romanian", "ar": "arabic",
}


def language_code(language: str) -> str:
    """'en-GB', 'EN', 'en_US' → 'en'."""
    return re.split(r"[-_]", language.strip().lower() or "en")[0]


def sumy_language(language: str) -> str:
    return _SUMY_LANGUAGES.get(language_code(language), "english")


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split text into sentences; paragraphs never share a sentence."""
    code = language_code(language)
    sentences: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        pieces = [p.strip() for p in sentencex.segment(code, paragraph)]
        sentences.extend(_join_open_quotes([p for p in pieces if p]))
    return sentences


def _join_open_quotes(pieces: list[str]) -> Iterator[str]:
    buffer: list[str] = []
    for piece in pieces:
        buffer.append(piece)
        joined = " ".join(buffer)
        if not _quote_is_open(joined) or len(buffer) >= _MAX_JOINED:
            yield joined
            buffer = []
    if buffer:
        yield " ".join(buffer)


def _quote_is_open(text: str) -> bool:
    straight_open = text.count('"') % 2 == 1
    curly_open = text.count("“") > text.count("”")
    return straight_open or curly_open


def words(text: str) -> list[str]:
    return _WORD.findall(text)


class SumyTokenizer:
    """The duck-typed tokenizer sumy calls: `language`, `to_sentences`, `to_words`."""

    def __init__(self, language: str = "en") -> None:
        self.language = sumy_language(language)
        self._code = language_code(language)

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph, self._code))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))
