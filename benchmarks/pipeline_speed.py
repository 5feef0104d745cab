"""Pipeline speed: the whole job on N articles, with seconds per stage, articles per second and peak memory.

    python benchmarks/pipeline_speed.py [DATA.jsonl] [-n 1000] [--format html,pdf] [--runs 2]

DATA is a JSON-lines file with an "article" text per line (default: the 1,000 CNN/DailyMail validation
articles in ../shared/corpus/summaries/cnndm_val1000/data.jsonl). The articles are written as plain-text
files into a temporary folder, and the real pipeline (`briefing.pipeline.run`: collect into a fresh state
database, summarise, group, render, deliver) runs on them for one audience.

More articles than DATA holds (e.g. -n 10000 from 1,000) are made by disguising copies: copy k shifts
every letter of every word that is not an English stop word by k places (a Caesar cipher), so each copy
has its own vocabulary and headlines, the same lengths, sentence punctuation and story structure, and no
copy merges with another. The work is that of k independent days of news in one batch.

--runs 2 builds the same day's briefing again on the same state database, as a second run that day
would: what is cached between runs (stored articles, summaries where a cache exists) is not redone.
Peak memory is the process's resident high-water mark (getrusage), WeasyPrint included.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import threading
import time
from datetime import date
from itertools import islice
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from machine import machine_line  # benchmarks/machine.py: a script's own folder is on sys.path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from briefing.config import load_config  # noqa: E402
from briefing.pipeline import run  # noqa: E402

DEFAULT_DATA = PROJECT.parent / "shared" / "corpus" / "summaries" / "cnndm_val1000" / "data.jsonl"
_WORD = re.compile(r"[A-Za-z]+")


def disguise(text: str, shift: int) -> str:
    """Every letter of every word that is not a stop word moved `shift` places along the alphabet."""
    if shift == 0:
        return text

    def moved(match: re.Match) -> str:
        word = match.group()
        if word.lower() in ENGLISH_STOP_WORDS:
            return word
        return "".join(chr((ord(c) - base + shift) % 26 + base) for c in word for base in [65 if c.isupper() else 97])

    return _WORD.sub(moved, text)


def write_articles(data: Path, count: int, folder: Path) -> tuple[int, int]:
    """Write `count` article files (disguised copies beyond what DATA holds); returns (written, originals)."""
    with data.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["article"] for line in islice(lines, count)]
    if not texts:
        return 0, 0
    if count > 26 * len(texts):
        sys.exit(f"at most 25 disguised copies of the {len(texts)} articles can be made (the alphabet has 26 shifts)")
    for number in range(count):
        copy, index = divmod(number, len(texts))
        (folder / f"{copy:02d}-{index:05d}.txt").write_text(disguise(texts[index], copy), encoding="utf-8")
    return count, len(texts)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class MemorySampler:
    """Resident memory sampled every 50 ms in a thread, to tell which stage holds the peak."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        page = resource.getpagesize()
        while not self._stop.is_set():
            with open("/proc/self/statm") as statm:
                self.samples.append((time.perf_counter(), int(statm.read().split()[1]) * page / 2**20))
            self._stop.wait(0.05)

    def peak_between(self, start: float, end: float) -> float:
        """The highest sample in the window, or the last one before it when the window is shorter than a sample."""
        inside = [rss for moment, rss in self.samples if start <= moment <= end]
        before = [rss for moment, rss in self.samples if moment < start]
        return max(inside) if inside else (before[-1] if before else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("-n", "--articles", type=int, default=1000)
    parser.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf")
    parser.add_argument("--runs", type=int, default=1, help="build the same day's briefing this many times")
    args = parser.parse_args()
    print(machine_line())
    if not args.data.is_file():
        sys.exit(f"{args.data} not found: give the path of a JSON-lines file with an 'article' field")

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "articles").mkdir()
        count, originals = write_articles(args.data, args.articles, folder / "articles")
        formats = ", ".join(f.strip() for f in args.format.split(","))
        (folder / "config.yaml").write_text(
            "sources:\n  - path: articles\n    name: Benchmark\n"
            f"output:\n  dir: out\n  formats: [{formats}]\n"
            "state: state.sqlite\n"
            "audiences:\n  - name: benchmark\n",
            encoding="utf-8")
        config = load_config(folder / "config.yaml")
        copies = -(-count // originals) if originals else 0
        print(f"articles: {count} ({originals} from {args.data.name}"
              f"{f', {copies - 1} disguised copies' if copies > 1 else ''}); formats: {formats}; "
              f"grouping: story_similarity {config.grouping.story_similarity}, "
              f"{'configured' if config.grouping.sections else 'automatic'} sections")
        today = date.today()
        for number in range(1, args.runs + 1):
            start = time.perf_counter()
            with MemorySampler() as memory:
                result = run(config, today)
            total = time.perf_counter() - start
            briefing = result.briefing
            print(f"\nrun {number}: stories {briefing.story_count}, sections {len(briefing.sections)}, "
                  f"articles in the briefing {briefing.article_count}")
            began = start  # the stages run one after another, in the order of `timings`
            for stage, seconds in result.timings.items():
                peak = memory.peak_between(began, began + seconds)
                began += seconds
                print(f"{stage:>10}: {seconds:8.2f} s  ({seconds / count * 1000:.2f} ms/article)  "
                      f"peak {peak:5.0f} MiB")
            other = total - sum(result.timings.values())
            print(f"{'other':>10}: {other:8.2f} s  (selecting from the state database, tailoring)")
            print(f"{'total':>10}: {total:8.2f} s  ({count / total:.1f} articles/s)")
            print(f"peak memory so far: {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
