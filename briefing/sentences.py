"""Sentence splitting for news prose, the words a summariser compares, and sumy's tokenizer object.

sumy's stock tokenizer needs NLTK's punkt data, which cannot be downloaded at run time;
sentencex is rule-based, fast and offline. It breaks inside a multi-sentence quotation,
so split pieces are joined again until their quotation marks balance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import sentencex
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.utils import get_stop_words

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_MAX_JOINED = 5  # a stray quote mark must not swallow the rest of the article
# "(CNN) -- ", "LONDON, England (CNN) -- ", "PARIS (Reuters) - ", "(Rolling Stone)Kanye West…":
# who filed the story and from where, not news.
_AGENCIES = r"CNN|AP|Reuters|AFP|UPI|dpa|DPA|Bloomberg|PA|Xinhua|EFE|ANSA|Kyodo|Yonhap|TASS|ANI|IANS"
_DATELINE = re.compile(
    rf"^(?:[^\W\d_][^()\n]{{0,60}}?\s*)?\((?:{_AGENCIES})(?: [A-Z][\w ]{{0,20}})?\)\s*(?:[-—–]{{1,2}}\s*)?"
    r"|^\([^()\n]{1,40}\)(?=[A-Z\"“‘])"  # a source in brackets glued to the first word
)
_MAX_TERM_CHARS = 3000  # a "sentence" with no full stop in it is compared by its head only

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


def strip_dateline(sentence: str) -> str:
    """'LONDON (Reuters) - Shares fell.' → 'Shares fell.'; a sentence that is only a dateline stays."""
    rest = _DATELINE.sub("", sentence, count=1)
    return rest if words(rest) else sentence


def content_terms(sentence: str, language: str = "en") -> frozenset[str]:
    """The stems of a sentence's words that carry content: no stop words, no bare numbers."""
    stem, stop_words = _stemmer_and_stop_words(sumy_language(language))
    found = set()
    for word in _WORD.findall(sentence[:_MAX_TERM_CHARS].lower()):
        if word not in stop_words and not word.isdigit() and len(word) > 1:
            found.add(stem(word))
    return frozenset(found)


def word_pairs(sentence: str) -> frozenset[tuple[str, str]]:
    """The sentence's pairs of neighbouring words, lower-cased: names and set phrases."""
    found = [word.lower() for word in _WORD.findall(sentence[:_MAX_TERM_CHARS])]
    return frozenset(zip(found, found[1:]))


@lru_cache(maxsize=None)
def _stemmer_and_stop_words(sumy_language_name: str):
    try:
        stemmer = Stemmer(sumy_language_name)
    except LookupError:
        stemmer = null_stemmer
    try:
        stop_words = frozenset(get_stop_words(sumy_language_name))
    except LookupError:
        stop_words = frozenset()
    # Stemming is the costly step, and news repeats its words: each word is stemmed once.
    return lru_cache(maxsize=200_000)(stemmer), stop_words


class SumyTokenizer:
    """The duck-typed tokenizer sumy calls: `language`, `to_sentences`, `to_words`."""

    def __init__(self, language: str = "en") -> None:
        self.language = sumy_language(language)
        self._code = language_code(language)

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph, self._code))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))
