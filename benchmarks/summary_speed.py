"""Summary speed: milliseconds per article for the shipped method and for the plain library way.

    python benchmarks/summary_speed.py [DATA_DIR] [-n 1000]

DATA_DIR holds data.jsonl with an "article" text per line (default: ../shared/corpus/summaries/
cnndm_val1000 beside the project). Ours: `summarise()` with the shipped SummaryConfig, one
article at a time in one process, on the articles plus two texts of 1 MB (news prose, and a
megabyte with no full stop in it). The plain library way: pysbd splits the whole article and
sumy's LexRank (its stemmer and stop words) picks 3 sentences; words are cut by a regex,
because sumy's own tokenizer needs NLTK data that cannot be downloaded. It runs on the
articles only: on 1 MB its quadratic LexRank would take hours.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from briefing.config import SummaryConfig
from briefing.model import Article
from briefing.summarise import summarise

from machine import machine_line  # benchmarks/machine.py: a script's own folder is on sys.path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT.parent / "shared" / "corpus" / "summaries" / "cnndm_val1000"
MEGABYTE = 1_000_000


def megabyte_texts(texts: list[str]) -> dict[str, str]:
    prose = "\n\n".join(texts)
    while len(prose) < MEGABYTE:
        prose += "\n\n" + prose
    unbroken = ("word " * (MEGABYTE // 5))
    return {"1 MB of news prose": prose[:MEGABYTE], "1 MB without a full stop": unbroken}


def time_ours(texts: dict[str, str], settings: SummaryConfig) -> dict[str, float]:
    """Milliseconds per article, keyed by name."""
    timings = {}
    for name, text in texts.items():
        article = Article(id=name, title="", text=text, source="benchmark")
        started = time.perf_counter()
        summarise(article, settings)
        timings[name] = 1000 * (time.perf_counter() - started)
    return timings


class _RegexWords:
    """sumy's tokenizer interface, with words cut by a regex instead of NLTK."""

    language = "english"
    _word = re.compile(r"\w+(?:['’]\w+)*")

    def to_words(self, sentence: str):
        return tuple(self._word.findall(sentence))


def time_library_way(texts: dict[str, str]) -> dict[str, float]:
    import pysbd
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    segmenter = pysbd.Segmenter(language="en", clean=False)
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    words = _RegexWords()
    timings = {}
    for name, text in texts.items():
        started = time.perf_counter()
        sentences = [s.strip() for s in segmenter.segment(text) if s.strip()]
        document = ObjectDocumentModel([Paragraph([Sentence(s, words) for s in sentences])])
        with np.errstate(all="ignore"):
            summarizer(document, 3)
        timings[name] = 1000 * (time.perf_counter() - started)
    return timings


def describe(label: str, timings: dict[str, float]) -> float:
    values = sorted(timings.values())
    median = statistics.median(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    slowest = max(timings, key=timings.get)
    print(f"{label:38} median {median:8.2f} ms   p95 {p95:8.2f} ms   max {timings[slowest]:9.2f} ms"
          f"   total {sum(values) / 1000:7.2f} s   (slowest: {slowest})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("-n", "--articles", type=int, default=1000)
    args = parser.parse_args()
    print(machine_line())
    data = args.data_dir / "data.jsonl"
    if not data.is_file():
        sys.exit(f"{data} not found: DATA_DIR must hold data.jsonl with an 'article' per line")
    with data.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["article"] for line, _ in zip(lines, range(args.articles))]
    articles = {f"article {n + 1}": text for n, text in enumerate(texts)}
    huge = megabyte_texts(texts)
    settings = SummaryConfig()
    mean_words = statistics.mean(len(t.split()) for t in texts)
    print(f"{len(texts)} articles from {data} ({mean_words:.0f} words on average), one process, one by one")
    print(f"ours: algorithm={settings.algorithm}, words={settings.words}, sentences={settings.sentences}, "
          f"max_input_sentences={settings.max_input_sentences}")

    ours = time_ours({**articles, **huge}, settings)
    ours_median = describe("ours, articles and the 1 MB texts", ours)
    describe("ours, the articles only", {k: v for k, v in ours.items() if k in articles})
    for name in huge:
        print(f"{'':38} {name}: {ours[name]:.2f} ms")
    library = time_library_way(articles)
    library_median = describe("plain library way (pysbd + LexRank)", library)
    total_ratio = sum(library.values()) / sum(v for k, v in ours.items() if k in articles)
    print(f"ratio, plain library way / ours: {library_median / ours_median:.0f}x per article (median), "
          f"{total_ratio:.0f}x in total on the articles")


if __name__ == "__main__":
    main()
