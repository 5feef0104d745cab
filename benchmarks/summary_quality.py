"""Summary quality: ROUGE of each summary method against human highlights, honestly split.

    python benchmarks/summary_quality.py [DATA_DIR] [--words 50] [--tune] [--jobs 2]

DATA_DIR holds data.jsonl, one {"article": text, "reference": highlights} per line, one
highlight per "\\n"-separated line (default: ../shared/corpus/summaries/cnndm_val1000 beside
the project; its README.md describes it). The first half of the articles is for choosing
parameters, the second half for reporting: every figure printed is on the second half only.
`--tune` redoes the choice: it searches the "briefing" method's weights, the sentence cap and
keep_lede on the first half (coordinate ascent on R-1 + R-2) and prints the winner, which is
what SummaryConfig and summarise.DEFAULT_WEIGHTS ship.

ROUGE is rouge-score's (F1 × 100, Porter stemming on; L is summary-level, one sentence a line).
Differences come with a paired bootstrap 95% interval (articles resampled, 2,000 times).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from nltk.stem import porter
from rouge_score import rouge_scorer, tokenize
from rouge_score.tokenizers import Tokenizer

from briefing.config import SummaryConfig
from briefing.summarise import (
    DEFAULT_WEIGHTS, Weights, choose_sentences, leading_sentences, summarise, word_count,
)
from briefing.model import Article

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT.parent / "shared" / "corpus" / "summaries" / "cnndm_val1000"
SUMY_METHODS = ("lexrank", "luhn", "lsa", "textrank", "sumbasic", "kl")
OURS = "briefing (ours)"
BOOTSTRAP_SAMPLES = 2000


# --- ROUGE ------------------------------------------------------------------------------------

class _StemCachingTokenizer(Tokenizer):
    """rouge-score's own tokenizer and Porter stemmer, with each word stemmed once (the slow part)."""

    def __init__(self) -> None:
        stemmer = porter.PorterStemmer()
        self._stem = lru_cache(maxsize=None)(stemmer.stem)

    def tokenize(self, text):
        return tokenize.tokenize(text, self)

    def stem(self, word):  # rouge-score calls stemmer.stem(word) for words longer than 3 letters
        return self._stem(word)


@lru_cache(maxsize=None)
def _scorer(types: tuple[str, ...]) -> rouge_scorer.RougeScorer:
    return rouge_scorer.RougeScorer(list(types), tokenizer=_StemCachingTokenizer())


def rouge(reference: str, summary: str, types=("rouge1", "rouge2", "rougeLsum")) -> list[float]:
    """F1 × 100 per type; `summary` has one sentence a line, like the reference."""
    scores = _scorer(tuple(types)).score(reference, summary)
    return [100 * scores[t].fmeasure for t in types]


# --- the systems --------------------------------------------------------------------------------

def _article(text: str) -> Article:
    return Article(id="a", title="", text=text, source="benchmark")


def _lines(summary) -> str:
    return "\n".join(s.text for s in summary.sentences)


def _first_words(sentences: list[str], count: int) -> str:
    return " ".join(" ".join(sentences).split()[:count])


def _lead_until(sentences: list[str], budget: int) -> str:
    """First sentences until the budget is reached, the last one whole (it may run past)."""
    taken, used = [], 0
    for sentence in sentences:
        if used >= budget:
            break
        taken.append(sentence)
        used += word_count(sentence)
    return "\n".join(taken)


def system_summaries(text: str, words: int) -> dict[str, str]:
    """Every system's summary of one article, one sentence a line."""
    article = _article(text)
    out = {"Lead-3": _lines(summarise(article, SummaryConfig(algorithm="lead", sentences=3, words=0)))}
    for method in SUMY_METHODS:
        settings = SummaryConfig(algorithm=method, sentences=3, words=0, keep_lede=False)
        out[f"sumy {method}"] = _lines(summarise(article, settings))
    ours = summarise(article, SummaryConfig(words=words))
    out[OURS] = _lines(ours)
    sentences = leading_sentences(text, "en", SummaryConfig().max_input_sentences)
    out[f"lead cut, {words} words"] = _first_words(sentences, words)
    out["lead cut, as many words as ours"] = _first_words(sentences, word_count(ours.text))
    out[f"lead sentences within {words} words"] = _lines(
        summarise(article, SummaryConfig(algorithm="lead", sentences=20, words=words)))
    out[f"lead sentences until {words} words"] = _lead_until(sentences, words)
    out[f"lead cut, {words} words of raw text"] = " ".join(text.split()[:words])
    return out


def _score_article(job: tuple[str, str, int]) -> tuple[dict[str, list[float]], dict[str, int]]:
    text, reference, words = job
    summaries = system_summaries(text, words)
    scores = {name: rouge(reference, summary) for name, summary in summaries.items()}
    lengths = {name: word_count(summary) for name, summary in summaries.items()}
    return scores, lengths


# --- tuning on the first half ---------------------------------------------------------------------

_TUNING: dict = {}  # each worker's copy of the first half: references and sentences


def _load_tuning_data(references: list[str], sentences: list[list[str]], words: int) -> None:
    _TUNING.update(references=references, sentences=sentences, words=words)


def _tuning_total(job: tuple[int, int, Weights, int, bool]) -> float:
    """R-1 + R-2 summed over the articles start, start + step, … of the first half."""
    start, step, weights, cap, keep_lede = job
    total = 0.0
    for index in range(start, len(_TUNING["references"]), step):
        sentences = _TUNING["sentences"][index]
        chosen = choose_sentences(sentences, "en", _TUNING["words"], cap, keep_lede, weights)
        summary = "\n".join(sentences[i] for i in chosen)
        total += sum(rouge(_TUNING["references"][index], summary, ("rouge1", "rouge2")))
    return total


GRID = {
    "position_exponent": (0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
    "centrality": (0.0, 0.3, 0.6, 0.9, 1.2, 1.5),
    "keywords": (10, 20, 40),
    "quote_penalty": (0.0, 0.1, 0.2, 0.4),
    "length_exponent": (0.0, 0.15, 0.3, 0.45),
    "min_words": (5, 8, 11),
    "redundancy": (0.5, 0.7, 0.9),  # 1.0 would let a repeated sentence in twice
    "cap": (2, 3, 4, 5),  # SummaryConfig.sentences
    "keep_lede": (True, False),
}


def tune(rows: list[dict], words: int, jobs: int) -> None:
    """Coordinate ascent from the shipped defaults on R-1 + R-2 of the first half, until nothing improves."""
    max_input = SummaryConfig().max_input_sentences
    sentences = [leading_sentences(row["article"], "en", max_input) for row in rows]
    references = [row["reference"] for row in rows]
    current = _shipped()
    data = (references, sentences, words)
    with ProcessPoolExecutor(jobs, initializer=_load_tuning_data, initargs=data) as pool:
        def score(state) -> float:
            parts = [(start, jobs, state["weights"], state["cap"], state["keep_lede"])
                     for start in range(jobs)]
            return sum(pool.map(_tuning_total, parts)) / len(rows)

        best = score(current)
        print(f"first half, shipped defaults: R-1 + R-2 = {best:.2f}")
        for round_ in range(1, 6):
            improved = False
            for name, values in GRID.items():
                for value in values:
                    state = _with(current, name, value)
                    if state == current:
                        continue
                    value_score = score(state)
                    if value_score > best + 1e-9:
                        best, current, improved = value_score, state, True
                        print(f"  round {round_}: {best:.2f}  {_describe(current)}", flush=True)
            if not improved:
                break
    print(f"winner on the first half (R-1 + R-2 = {best:.2f}): {_describe(current)}")
    print("this is what ships" if current == _shipped() else "this differs from what ships: update defaults")


def _shipped() -> dict:
    defaults = SummaryConfig()
    return {"weights": DEFAULT_WEIGHTS, "cap": defaults.sentences, "keep_lede": defaults.keep_lede}


def _with(state: dict, name: str, value) -> dict:
    if name in ("cap", "keep_lede"):
        return {**state, name: value}
    return {**state, "weights": replace(state["weights"], **{name: value})}


def _describe(state) -> str:
    weights = ", ".join(f"{k}={v}" for k, v in asdict(state["weights"]).items())
    return f"{weights}, sentences={state['cap']}, keep_lede={state['keep_lede']}"


# --- reporting --------------------------------------------------------------------------------

def bootstrap_interval(differences: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    picks = rng.integers(0, len(differences), size=(BOOTSTRAP_SAMPLES, len(differences)))
    means = differences[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def report(rows: list[dict], words: int, jobs: int) -> None:
    jobs_list = [(row["article"], row["reference"], words) for row in rows]
    with ProcessPoolExecutor(jobs) as pool:
        results = list(pool.map(_score_article, jobs_list, chunksize=10))
    names = list(results[0][0])
    scores = {name: np.array([r[0][name] for r in results]) for name in names}
    lengths = {name: np.mean([r[1][name] for r in results]) for name in names}

    print(f"\n{'method':44} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'words':>6}")
    for name in names:
        r1, r2, rl = scores[name].mean(axis=0)
        print(f"{name:44} {r1:6.2f} {r2:6.2f} {rl:6.2f} {lengths[name]:6.1f}")

    sumy_best = max((f"sumy {m}" for m in SUMY_METHODS), key=lambda n: scores[n][:, 0].mean())
    rivals = ["Lead-3", sumy_best, f"lead cut, {words} words", "lead cut, as many words as ours",
              f"lead sentences within {words} words", f"lead sentences until {words} words",
              f"lead cut, {words} words of raw text"]
    rng = np.random.default_rng(0)
    print(f"\n{OURS} minus ..., mean difference [paired bootstrap 95% interval]")
    print(f"{'':44} {'R-1':>22} {'R-2':>22} {'R-L':>22}")
    for rival in rivals:
        cells = []
        for k in range(3):
            difference = scores[OURS][:, k] - scores[rival][:, k]
            low, high = bootstrap_interval(difference, rng)
            cells.append(f"{difference.mean():+6.2f} [{low:+5.2f},{high:+5.2f}]")
        print(f"{rival:44} " + " ".join(f"{c:>22}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--words", type=int, default=SummaryConfig().words, help="word budget")
    parser.add_argument("--tune", action="store_true", help="search the parameters on the first half instead")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    args = parser.parse_args()
    data = args.data_dir / "data.jsonl"
    if not data.is_file():
        sys.exit(f"{data} not found: DATA_DIR must hold data.jsonl with 'article' and 'reference' per line")
    rows = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
    half = len(rows) // 2
    started = time.perf_counter()
    if args.tune:
        print(f"tuning on articles 1-{half} of {data}, budget {args.words} words")
        tune(rows[:half], args.words, args.jobs)
    else:
        print(f"{data}: reporting on articles {half + 1}-{len(rows)}; parameters chosen on articles 1-{half}")
        print(f"shipped: {_describe(_shipped())}, words={args.words}")
        print("sumy methods and Lead-3: 3 sentences, no budget; every method reads the same sentences")
        report(rows[half:], args.words, args.jobs)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
