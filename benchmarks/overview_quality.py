"""Overview quality: ROUGE of story overviews (several articles, one summary) against human summaries.

    python benchmarks/overview_quality.py [DATA_DIR] [--words 80,200] [--tune] [--jobs 2]

DATA_DIR holds data.jsonl, one {"documents": [text, …], "reference": summary} per line (default:
../shared/corpus/summaries/multinews_dev500 beside the project; its README.md describes it).
The first half of the clusters is for choosing parameters (`--tune`: coordinate ascent on
R-1 + R-2 at the first budget, from overview.OVERVIEW_WEIGHTS), the second half for reporting.
Clusters where one document contains the reference's opening are left out (in Multi-News a few
"documents" are the summary itself).

The baseline is what a reader gets without us: the first sentences of each document in turn
(first of each, then second of each, …) within the same word budget; and the same text cut at
exactly as many words as the overview. ROUGE is rouge-score's (F1 × 100, stemming on).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from briefing.model import Article
from briefing.overview import MAX_SENTENCES_PER_ARTICLE, OVERVIEW_WEIGHTS, overview
from briefing.summarise import leading_sentences, word_count
from summary_quality import bootstrap_interval, rouge

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT.parent / "shared" / "corpus" / "summaries" / "multinews_dev500"
GRID = {
    "position_exponent": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5),
    "centrality": (0.0, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0),
    "keywords": (20, 40, 80),
    "quote_penalty": (0.0, 0.1, 0.2, 0.4),
    "length_exponent": (0.0, 0.15, 0.3),
    "min_words": (5, 8, 11),
    "redundancy": (0.3, 0.4, 0.5, 0.7),
}


def articles_of(cluster: dict) -> list[Article]:
    return [Article(id=str(n), title="", text=text, source=f"document {n}")
            for n, text in enumerate(cluster["documents"])]


def first_sentences_in_turn(articles: list[Article], budget: int) -> list[str]:
    """The first sentence of each document, then the second of each, …, those that fit the budget."""
    per_article = [leading_sentences(a.text, a.language, MAX_SENTENCES_PER_ARTICLE) for a in articles]
    taken, used = [], 0
    for position in range(max((len(s) for s in per_article), default=0)):
        for sentences in per_article:
            if position < len(sentences) and used + word_count(sentences[position]) <= budget:
                taken.append(sentences[position])
                used += word_count(sentences[position])
    return taken


def _systems(job) -> dict[str, list[float]]:
    cluster, budget, weights = job
    articles = articles_of(cluster)
    ours = overview(articles, budget, weights)
    turns = first_sentences_in_turn(articles, budget)
    turns_all = first_sentences_in_turn(articles, 10**9)
    reference = cluster["reference"]
    return {
        "overview (ours)": rouge(reference, "\n".join(s.text for s in ours.sentences)),
        f"first sentences in turn, within {budget} words": rouge(reference, "\n".join(turns)),
        "first sentences in turn, cut at our length": rouge(
            reference, " ".join(" ".join(turns_all).split()[:word_count(ours.text)])),
        "_words": [word_count(ours.text), sum(word_count(s) for s in turns)],
    }


def _objective(job) -> float:
    cluster, budget, weights = job
    ours = overview(articles_of(cluster), budget, weights)
    return sum(rouge(cluster["reference"], "\n".join(s.text for s in ours.sentences), ("rouge1", "rouge2")))


def usable(clusters: list[dict]) -> list[dict]:
    """Clusters whose reference is not itself one of the documents."""
    return [c for c in clusters if not any(c["reference"][:80] in d for d in c["documents"])]


def tune(clusters: list[dict], budget: int, jobs: int) -> None:
    current = OVERVIEW_WEIGHTS
    with ProcessPoolExecutor(jobs) as pool:
        def score(weights) -> float:
            jobs_ = [(c, budget, weights) for c in clusters]
            return sum(pool.map(_objective, jobs_, chunksize=8)) / len(clusters)

        best = score(current)
        print(f"first half, shipped weights: R-1 + R-2 = {best:.2f}")
        for round_ in range(1, 6):
            improved = False
            for name, values in GRID.items():
                for value in values:
                    candidate = replace(current, **{name: value})
                    if candidate == current:
                        continue
                    value_score = score(candidate)
                    if value_score > best + 1e-9:
                        best, current, improved = value_score, candidate, True
                        print(f"  round {round_}: {best:.2f}  {asdict(current)}", flush=True)
            if not improved:
                break
    print(f"winner (R-1 + R-2 = {best:.2f}): {asdict(current)}")
    print("this is what ships" if current == OVERVIEW_WEIGHTS else "this differs from what ships")


def report(clusters: list[dict], budget: int, jobs: int) -> None:
    with ProcessPoolExecutor(jobs) as pool:
        results = list(pool.map(_systems, [(c, budget, OVERVIEW_WEIGHTS) for c in clusters], chunksize=8))
    names = [n for n in results[0] if not n.startswith("_")]
    scores = {n: np.array([r[n] for r in results]) for n in names}
    words = np.array([r["_words"] for r in results]).mean(axis=0)
    print(f"\nbudget {budget} words (mean length: ours {words[0]:.1f}, first sentences in turn {words[1]:.1f})")
    print(f"{'method':48} {'R-1':>6} {'R-2':>6} {'R-L':>6}")
    for name in names:
        r1, r2, rl = scores[name].mean(axis=0)
        print(f"{name:48} {r1:6.2f} {r2:6.2f} {rl:6.2f}")
    rng = np.random.default_rng(0)
    for rival in names[1:]:
        cells = []
        for k in range(3):
            difference = scores[names[0]][:, k] - scores[rival][:, k]
            low, high = bootstrap_interval(difference, rng)
            cells.append(f"{difference.mean():+5.2f} [{low:+5.2f},{high:+5.2f}]")
        print(f"  ours minus {rival}: R-1 {cells[0]}  R-2 {cells[1]}  R-L {cells[2]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--words", default="80,200", help="word budgets, comma-separated; the first is tuned")
    parser.add_argument("--tune", action="store_true", help="search the weights on the first half instead")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    data = args.data_dir / "data.jsonl"
    if not data.is_file():
        sys.exit(f"{data} not found: DATA_DIR must hold data.jsonl with 'documents' and 'reference' per line")
    clusters = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
    half = len(clusters) // 2
    first, second = usable(clusters[:half]), usable(clusters[half:])
    budgets = [int(w) for w in args.words.split(",")]
    started = time.perf_counter()
    if args.tune:
        print(f"tuning on {len(first)} of clusters 1-{half} of {data}, budget {budgets[0]} words")
        tune(first, budgets[0], args.jobs)
    else:
        print(f"{data}: reporting on {len(second)} of clusters {half + 1}-{len(clusters)} "
              f"({len(clusters) - half - len(second)} left out: a document holds the reference); "
              f"weights chosen on clusters 1-{half}: {asdict(OVERVIEW_WEIGHTS)}")
        for budget in budgets:
            report(second, budget, args.jobs)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
