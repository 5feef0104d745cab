"""Pipeline speed: the whole job on N articles, with seconds per stage and articles per second.

    python benchmarks/pipeline_speed.py [DATA.jsonl] [-n 1000] [--format html,pdf]

DATA is a JSON-lines file with an "article" text per line (default: the CNN/DailyMail
validation sample in ../shared/corpus/summaries/cnndm_val1000/data.jsonl). The articles are
written as plain-text files into a temporary folder, and the real pipeline runs on them.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

from briefing.config import load_config
from briefing.pipeline import run

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/corpus/summaries/cnndm_val1000/data.jsonl"


def write_articles(data: Path, count: int, folder: Path) -> int:
    written = 0
    with data.open(encoding="utf-8") as lines:
        for number, line in enumerate(islice(lines, count)):
            text = json.loads(line)["article"]
            (folder / f"{number:05d}.txt").write_text(text, encoding="utf-8")
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("-n", "--articles", type=int, default=1000)
    parser.add_argument("--format", default="html,pdf")
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"{args.data} not found: give the path of a JSON-lines file with an 'article' field")

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "articles").mkdir()
        count = write_articles(args.data, args.articles, folder / "articles")
        formats = ", ".join(args.format.split(","))
        (folder / "config.yaml").write_text(
            f"sources:\n  - path: articles\n    name: Benchmark\noutput:\n  formats: [{formats}]\n",
            encoding="utf-8")
        config = load_config(folder / "config.yaml")
        start = time.perf_counter()
        result = run(config)
        total = time.perf_counter() - start

    print(f"articles: {count}  stories: {result.briefing.story_count}  sections: {len(result.briefing.sections)}")
    for stage, seconds in result.timings.items():
        print(f"{stage:>10}: {seconds:8.2f} s  ({seconds / count * 1000:.2f} ms/article)")
    print(f"{'total':>10}: {total:8.2f} s  ({count / total:.1f} articles/s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
