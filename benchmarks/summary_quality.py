"""Summary quality: ROUGE of each summary method against human highlights, honestly split.

    python benchmarks/summary_quality.py [DATA_DIR] [--words 50] [--tune] [--jobs 2]

DATA_DIR holds data.jsonl, one {"article": text, "reference": highlights} per line, one
highlight per "\\n"-separated line (default: ../shared/corpus/summaries/cnndm_val1000 beside
the project; its README.md describes it). The first half of the articles is for choosing
parameters, the second half for reporting: every figure printed is on the second half only.
`--tune` redoes the choice: it fits the "briefing" method's feature weights on the first half by
least squares (each sentence's own R-1 + t × R-2 against the highlights), picks t by the R-1 + R-2
of the summaries on the first half, then moves one weight at a time while that R-1 + R-2 rises
(coordinate ascent), and prints the weights, which summarise.DEFAULT_WEIGHTS ships.

The comparisons that matter are at the same word budget under the same budget rule: "ours" is
the shipped SummaryConfig (budget rule "overrun": whole sentences while under the budget, at most
1.5 × it), and "lead, same rule" is the article's first sentences under exactly that rule.

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
from briefing.sentences import content_terms
from briefing.summarise import (
    DEFAULT_WEIGHTS, FEATURES, BriefingWeights, choose_sentences, leading_sentences, sentence_features, summarise,
    word_count,
)
from briefing.model import Article

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT.parent / "shared" / "corpus" / "summaries" / "cnndm_val1000"
SUMY_METHODS = ("lexrank", "luhn", "lsa", "textrank", "sumbasic", "kl")
OURS = "briefing (ours)"
SAME_RULE = "lead, same rule"
SAME_RULE_AND_CAP = "lead, same rule and sentence cap"
OURS_STRICT = "briefing, strict rule"
LEAD_STRICT = "lead, strict rule"
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
    shipped = SummaryConfig(words=words)
    out = {"Lead-3": _lines(summarise(article, SummaryConfig(algorithm="lead", sentences=3, words=0)))}
    for method in SUMY_METHODS:
        settings = SummaryConfig(algorithm=method, sentences=3, words=0, keep_lede=False)
        out[f"sumy {method}"] = _lines(summarise(article, settings))
    ours = summarise(article, shipped)
    out[OURS] = _lines(ours)
    out[SAME_RULE] = _lines(summarise(article, shipped.model_copy(update={"algorithm": "lead", "sentences": 20})))
    out[SAME_RULE_AND_CAP] = _lines(summarise(article, shipped.model_copy(update={"algorithm": "lead"})))
    sentences = leading_sentences(text, "en", shipped.max_input_sentences)
    out[f"lead sentences until {words} words, uncapped"] = _lead_until(sentences, words)
    out[f"lead cut, {words} words"] = _first_words(sentences, words)
    out["lead cut, as many words as ours"] = _first_words(sentences, word_count(ours.text))
    strict = shipped.model_copy(update={"budget_rule": "strict"})
    out[OURS_STRICT] = _lines(summarise(article, strict))
    out[LEAD_STRICT] = _lines(summarise(article, strict.model_copy(update={"algorithm": "lead", "sentences": 20})))
    return out


def _score_article(job: tuple[str, str, int]) -> tuple[dict[str, list[float]], dict[str, int]]:
    text, reference, words = job
    summaries = system_summaries(text, words)
    scores = {name: rouge(reference, summary) for name, summary in summaries.items()}
    lengths = {name: word_count(summary) for name, summary in summaries.items()}
    return scores, lengths


# --- tuning on the first half ---------------------------------------------------------------------

R2_FACTORS = (1, 2, 3, 4, 6, 8, 12)  # t in the least-squares target R-1 + t × R-2 of a sentence


def _sentence_rows(job: tuple[list[str], str, int]) -> tuple[list[tuple[float, ...]], list[tuple[float, float]]]:
    """One article's sentence features, and each sentence's own R-1 and R-2 against the highlights."""
    sentences, reference, keywords = job
    terms = [content_terms(s) for s in sentences]
    features = sentence_features(sentences, terms, [word_count(s) for s in sentences], keywords)
    return features, [tuple(rouge(reference, s, ("rouge1", "rouge2"))) for s in sentences]


def _summaries_score(job: tuple[list[str], str, int, BriefingWeights, SummaryConfig]) -> float:
    sentences, reference, words, weights, settings = job
    chosen = choose_sentences(sentences, "en", words, settings.sentences, settings.keep_lede, weights,
                              settings.budget_rule)
    return sum(rouge(reference, "\n".join(sentences[i] for i in chosen), ("rouge1", "rouge2")))


def tune(rows: list[dict], words: int, jobs: int) -> None:
    """Least-squares weights for each t in R2_FACTORS; the one whose summaries score best on the first half,
    refined by coordinate ascent on that score, wins."""
    settings = SummaryConfig(words=words)
    sentences = [leading_sentences(row["article"], "en", settings.max_input_sentences) for row in rows]
    references = [row["reference"] for row in rows]
    keywords = DEFAULT_WEIGHTS.keywords
    with ProcessPoolExecutor(jobs) as pool:
        per_article = list(pool.map(_sentence_rows, [(s, r, keywords) for s, r in zip(sentences, references)],
                                    chunksize=20))
        features = np.array([row for f, _ in per_article for row in f])
        targets = np.array([score for _, t in per_article for score in t])
        design = np.column_stack([features, np.ones(len(features))])  # a constant, which ranks nothing
        best = None
        for factor in R2_FACTORS:
            fitted, *_ = np.linalg.lstsq(design, targets[:, 0] + factor * targets[:, 1], rcond=None)
            scaled = {name: round(float(w / fitted[0]), 3) for name, w in zip(FEATURES, fitted)}
            weights = replace(DEFAULT_WEIGHTS, **scaled)
            jobs_list = [(s, r, words, weights, settings) for s, r in zip(sentences, references)]
            total = sum(pool.map(_summaries_score, jobs_list, chunksize=20)) / len(rows)
            print(f"  t = {factor:2}: summaries' R-1 + R-2 = {total:.2f}  {_describe(weights)}", flush=True)
            if best is None or total > best[0]:
                best = (total, factor, weights)
        print(f"least squares' winner: t = {best[1]} (R-1 + R-2 = {best[0]:.2f}); coordinate ascent from it:",
              flush=True)
        total, weights = _coordinate_ascent(best[0], best[2], lambda w: sum(pool.map(
            _summaries_score, [(s, r, words, w, settings) for s, r in zip(sentences, references)], chunksize=20,
        )) / len(rows))
    shipped = sum(_summaries_score((s, r, words, DEFAULT_WEIGHTS, settings))
                  for s, r in zip(sentences, references)) / len(rows)
    print(f"winner on the first half: R-1 + R-2 = {total:.2f}: {_describe(weights)}")
    print(f"shipped weights on the first half: R-1 + R-2 = {shipped:.2f}  {_describe(DEFAULT_WEIGHTS)}")


ASCENT_STEPS = (0.3, 0.15, 0.07)  # one round over the weights with each, moving one by ± step or ± 2 steps


def _coordinate_ascent(total: float, weights: BriefingWeights, score) -> tuple[float, BriefingWeights]:
    """The least-squares fit scores sentences one by one; this tunes the weights on what counts, the
    summaries' own R-1 + R-2, one weight at a time (position stays 1: only the ratios matter)."""
    for step in ASCENT_STEPS:
        for name in FEATURES[1:]:
            for move in (-step, step, -2 * step, 2 * step):
                candidate = replace(weights, **{name: round(getattr(weights, name) + move, 3)})
                candidate_total = score(candidate)
                if candidate_total > total + 0.01:
                    total, weights = candidate_total, candidate
                    print(f"  {name} {move:+.2f}: R-1 + R-2 = {total:.2f}", flush=True)
    return total, weights


def _describe(weights: BriefingWeights) -> str:
    return ", ".join(f"{k}={v}" for k, v in asdict(weights).items())


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
    rng = np.random.default_rng(0)
    print(f"\n{'A minus B, mean difference [paired bootstrap 95% interval]':44} {'R-1':>22} {'R-2':>22} {'R-L':>22}")
    pairs = [(OURS, "Lead-3"), (OURS, SAME_RULE), (OURS, SAME_RULE_AND_CAP),
             (OURS, f"lead sentences until {words} words, uncapped"), (OURS, f"lead cut, {words} words"),
             (OURS, "lead cut, as many words as ours"), (OURS, sumy_best), (OURS_STRICT, LEAD_STRICT),
             (OURS_STRICT, f"lead cut, {words} words")]
    for system, rival in pairs:
        cells = []
        for k in range(3):
            difference = scores[system][:, k] - scores[rival][:, k]
            low, high = bootstrap_interval(difference, rng)
            cells.append(f"{difference.mean():+6.2f} [{low:+5.2f},{high:+5.2f}]")
        label = rival if system == OURS else f"{system} − {rival}"
        print(f"{label:44} " + " ".join(f"{c:>22}" for c in cells))


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
        shipped = SummaryConfig(words=args.words)
        print(f"shipped: {_describe(DEFAULT_WEIGHTS)}")
        print(f"ours: words={shipped.words}, budget_rule={shipped.budget_rule} (at most "
              f"{int(shipped.words * 1.5)} words), sentences={shipped.sentences}, keep_lede={shipped.keep_lede}")
        print(f"{SAME_RULE}: the first sentences under ours's rule and budget, no sentence cap; "
              f"{SAME_RULE_AND_CAP}: also at most {shipped.sentences}")
        print("sumy methods and Lead-3: 3 sentences, no budget; every method reads the same sentences")
        print("rows without a system name below compare ours with the row named")
        report(rows[half:], args.words, args.jobs)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
