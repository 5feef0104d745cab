"""Article extraction: briefing's extract_article (trafilatura) beside readability-lxml, on real pages.

    python benchmarks/extraction.py [PAGES_DIR] [--only NAME ...] [--limit N]

PAGES_DIR (default ../shared/corpus/pages from the project root) holds folders of X.html + X.json:
- a folder whose JSON files carry `articleBody` (article-extraction-benchmark) is scored on the
  full text: bag-of-words precision, recall and F1 (lowercased \\w+ tokens, multiset overlap) and,
  to compare with that benchmark's published figures, its own metric (case-kept 4-word shingles);
- a folder whose JSON files carry `with`/`without` snippets (trafilatura-eval) is scored on the
  share of `with` snippets found and of `without` snippets absent (whitespace folded), plus the
  title, author and date where annotated.

Per page, precision counts only pages with some output and recall all of them; F1 is taken from
the two means, as in article-extraction-benchmark's evaluate.py. Nothing is fetched.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from briefing.gather.fulltext import (
    BALANCED_OPTIONS,
    PRECISE_OPTIONS,
    decode_html,
    extract_article,
    extract_from_html,
)
from briefing.gather.html import html_to_text
from trafilatura.meta import reset_caches

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared/corpus/pages"  # ../shared beside the project


@dataclass(frozen=True)
class Output:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD


Extractor = Callable[[bytes, "str | None"], Output]


def as_output(page) -> Output:
    if page is None:
        return Output("")
    date = page.published.date().isoformat() if page.published else None
    return Output(page.text, page.title, page.author, date)


def briefing_extract_article(body: bytes, url: str | None) -> Output:
    """What the briefing runs: favor_precision, with a balanced second pass when that finds too little."""
    return as_output(extract_article(body, url))


def trafilatura_pass(options, **changes) -> Extractor:
    """One trafilatura pass, with extract_article's decoding and clean-up."""
    options = {**options, **changes}
    return lambda body, url: as_output(extract_from_html(decode_html(body), url, options))


def readability(body: bytes, url: str | None) -> Output:
    """readability-lxml's article HTML, made text by the same html_to_text as feed bodies."""
    from readability import Document

    try:
        document = Document(decode_html(body), url=url)
        return Output(html_to_text(document.summary(html_partial=True)), document.short_title() or None)
    except Exception:  # readability raises its own Unparseable, and lxml errors on odd pages
        return Output("")


def whole_page(body: bytes, url: str | None) -> Output:
    """No extraction at all: every visible text of the page, the floor for precision."""
    return Output(html_to_text(decode_html(body)))


EXTRACTORS: dict[str, Extractor] = {
    "extract_article": briefing_extract_article,
    "precision-only": trafilatura_pass(PRECISE_OPTIONS),
    "balanced": trafilatura_pass(BALANCED_OPTIONS),
    "favor-recall": trafilatura_pass(BALANCED_OPTIONS, favor_recall=True),
    "balanced-fast": trafilatura_pass(BALANCED_OPTIONS, fast=True),
    "readability-lxml": readability,
    "whole-page": whole_page,
}


@dataclass
class Score:
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    shingle_precision: list[float] = field(default_factory=list)
    shingle_recall: list[float] = field(default_factory=list)
    found: list[float] = field(default_factory=list)
    absent: list[float] = field(default_factory=list)
    metadata: Counter = field(default_factory=Counter)
    metadata_annotated: Counter = field(default_factory=Counter)
    empty: int = 0
    pages: int = 0
    seconds: list[float] = field(default_factory=list)


_WORD = re.compile(r"\w+")


def overlap(truth: list, predicted: list) -> tuple[float | None, float]:
    """Precision (None when nothing was predicted) and recall of two multisets."""
    common = sum((Counter(truth) & Counter(predicted)).values())
    precision = common / len(predicted) if predicted else None
    recall = common / len(truth) if truth else 1.0
    return precision, recall


def shingles(text: str, n: int = 4) -> list[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    return [tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n]]


def fold(text: str) -> str:
    return " ".join(text.split())


def score_body(score: Score, output: Output, truth: dict) -> None:
    body = truth["articleBody"]
    words = overlap(_WORD.findall(body.lower()), _WORD.findall(output.text.lower()))
    for (p, r), precisions, recalls in (
        (words, score.precision, score.recall),
        (overlap(shingles(body), shingles(output.text)), score.shingle_precision, score.shingle_recall),
    ):
        if p is not None:
            precisions.append(p)
        recalls.append(r)


def score_snippets(score: Score, output: Output, truth: dict) -> None:
    text = fold(output.text)
    if truth.get("with"):
        score.found.append(statistics.mean(fold(s) in text for s in truth["with"]))
    if truth.get("without"):
        score.absent.append(statistics.mean(fold(s) not in text for s in truth["without"]))
    for key in ("title", "author", "date"):
        if truth.get(key):
            score.metadata_annotated[key] += 1
            score.metadata[key] += metadata_matches(key, truth[key], getattr(output, key) or "")


_NAME_SEPARATORS = re.compile(r";|,|\s+(?:and|und|et|y|e)\s+|\s+&\s+")


def metadata_matches(key: str, expected: str | list[str], got: str) -> bool:
    """Title and date must be equal, case and spaces aside; each annotated author must be named."""
    got = fold(got).casefold()
    if key != "author":
        return fold(str(expected)).casefold() == got
    names = expected if isinstance(expected, list) else _NAME_SEPARATORS.split(expected)
    return all(fold(name).casefold() in got for name in names if name.strip())


def pages_in(folder: Path) -> list[tuple[Path, dict]]:
    pairs = []
    for truth_path in sorted(folder.glob("*.json")):
        html = truth_path.with_suffix(".html")
        if html.is_file():
            pairs.append((html, json.loads(truth_path.read_text(encoding="utf-8"))))
    return pairs


def run_folder(folder: Path, extractors: dict[str, Extractor], limit: int | None) -> dict[str, Score]:
    pages = [(path.read_bytes(), truth) for path, truth in pages_in(folder)[:limit]]
    scores = {name: Score() for name in extractors}
    # One extractor at a time over all pages, its caches emptied and warmed on the first page
    # first, so that no extractor is timed on what an earlier one left in trafilatura's caches.
    for name, extractor in extractors.items():
        reset_caches()
        extractor(*_body_and_url(pages[0]))
        score = scores[name]
        for body, truth in pages:
            start = time.perf_counter()
            output = extractor(body, truth.get("url"))
            score.seconds.append(time.perf_counter() - start)
            score.pages += 1
            score.empty += not output.text.strip()
            if "articleBody" in truth:
                score_body(score, output, truth)
            else:
                score_snippets(score, output, truth)
    return scores


def _body_and_url(page: tuple[bytes, dict]) -> tuple[bytes, str | None]:
    return page[0], page[1].get("url")


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def mean(values: list[float]) -> float:
    return statistics.mean(values) if values else float("nan")


def print_body_table(scores: dict[str, Score]) -> None:
    print(f"{'extractor':<22} {'BoW P':>6} {'BoW R':>6} {'BoW F1':>6}   {'shingle P':>9} {'R':>6} {'F1':>6}"
          f"   {'empty':>5} {'ms/page':>8} {'ms max':>7}")
    for name, s in scores.items():
        p, r = mean(s.precision), mean(s.recall)
        sp, sr = mean(s.shingle_precision), mean(s.shingle_recall)
        print(f"{name:<22} {p:6.3f} {r:6.3f} {f1(p, r):6.3f}   {sp:9.3f} {sr:6.3f} {f1(sp, sr):6.3f}"
              f"   {s.empty:5d} {1000 * mean(s.seconds):8.1f} {1000 * max(s.seconds):7.0f}")


def print_snippet_table(scores: dict[str, Score]) -> None:
    some = next(iter(scores.values()))
    annotated = some.metadata_annotated
    print(f"{'extractor':<22} {'with found':>10} {'without absent':>14} {'empty':>5}"
          f"   {'title':>5} {'author':>6} {'date':>5}   {'ms/page':>8} {'ms max':>7}")
    for name, s in scores.items():
        meta = " ".join(f"{s.metadata[k] / annotated[k] if annotated[k] else float('nan'):{w}.2f}"
                        for k, w in (("title", 5), ("author", 6), ("date", 5)))
        print(f"{name:<22} {mean(s.found):10.3f} {mean(s.absent):14.3f} {s.empty:5d}   {meta}"
              f"   {1000 * mean(s.seconds):8.1f} {1000 * max(s.seconds):7.0f}")
    print(f"(metadata: share right among annotated pages, title and date exact, every author named:"
          f" title {annotated['title']}, author {annotated['author']}, date {annotated['date']})")


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="?", type=Path, default=DEFAULT_PAGES,
                        help="a folder of X.html + X.json pairs, or a folder of such folders")
    parser.add_argument("--only", action="append", choices=list(EXTRACTORS), help="run only these extractors")
    parser.add_argument("--limit", type=int, help="at most N pages per folder")
    args = parser.parse_args()
    if not args.pages.is_dir():
        sys.exit(f"{args.pages} is not a folder: give a folder of X.html + X.json pairs (or of such folders)")
    extractors = {name: EXTRACTORS[name] for name in (args.only or EXTRACTORS)}
    if "readability-lxml" in extractors and importlib.util.find_spec("readability") is None:
        print("readability-lxml is not installed (pip install -e '.[test]'): its row is left out",
              file=sys.stderr)
        del extractors["readability-lxml"]

    versions = ", ".join(f"{name} {_version(name)}" for name in ("trafilatura", "readability-lxml"))
    print(versions)
    print("BoW = lowercased \\w+ tokens, multiset overlap; shingle = article-extraction-benchmark's metric"
          " (4-token shingles, case kept)\nP over pages with output, R over all pages, F1 of the two means")
    folders = [args.pages] if pages_in(args.pages) else sorted(p for p in args.pages.iterdir() if pages_in(p))
    if not folders:
        sys.exit(f"no X.html + X.json pairs found in {args.pages} or its subfolders")
    for folder in folders:
        pages = pages_in(folder)[:args.limit]
        kind = "full text" if "articleBody" in pages[0][1] else "snippets"
        print(f"\n== {folder.name}: {len(pages)} pages, ground truth: {kind}")
        scores = run_folder(folder, extractors, args.limit)
        (print_body_table if kind == "full text" else print_snippet_table)(scores)


if __name__ == "__main__":
    main()
