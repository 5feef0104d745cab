"""Collect every feed in a folder from a real HTTP server on 127.0.0.1, cold and then warm.

    .venv/bin/python benchmarks/fetch_feeds.py [FEEDS_DIR] [--rounds 3]

Cold: an empty state database, every feed fetched, parsed and stored. Warm: the same feeds
again, which the server answers with 304 Not Modified (ETag / Last-Modified). Full-text page
fetching is off: the feeds' article links point at the real sites, and this machine only talks
to 127.0.0.1. Prints the median time of each over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from machine import machine_line  # benchmarks/machine.py: a script's own folder is on sys.path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from briefing.collect import collect  # noqa: E402
from briefing.config import Config, FetchConfig, SourceConfig  # noqa: E402
from briefing.gather import FEED_SUFFIXES  # noqa: E402
from briefing.state import open_store  # noqa: E402
from tests.httpserver import LocalServer  # noqa: E402

DEFAULT_FEEDS = PROJECT.parent / "shared" / "corpus" / "feeds"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("feeds", nargs="?", type=Path, default=DEFAULT_FEEDS, help="a folder of feed files")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    if not args.feeds.is_dir():
        sys.exit(f"{args.feeds}: no such folder (give a folder of feed files)")
    files = sorted(p for p in args.feeds.rglob("*") if p.is_file() and p.suffix.lower() in FEED_SUFFIXES)
    cold, warm = [], []
    with LocalServer(root=args.feeds) as server:
        sources = tuple(
            SourceConfig(url=server.url("/" + p.relative_to(args.feeds).as_posix()), full_text="never") for p in files
        )
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as scratch:
                config = Config(sources=sources, state=Path(scratch) / "state.sqlite",
                                fetch=FetchConfig(allow_private=("127.0.0.1/32",), retries=0))
                with open_store(config.state) as store:
                    start = time.perf_counter()
                    first = collect(config, store, now=lambda: datetime.now(timezone.utc))
                    cold.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    second = collect(config, store, now=lambda: datetime.now(timezone.utc))
                    warm.append(time.perf_counter() - start)
                    stored = store.article_count()
    statuses = _count(s.status for s in first.sources)
    print(f"{len(files)} feeds from {args.feeds}, served on 127.0.0.1, {args.rounds} rounds (median)")
    print(f"cold: {statistics.median(cold):6.2f} s  {first.new} new articles stored ({stored} in the database); "
          f"sources: {statuses}")
    print(f"warm: {statistics.median(warm):6.2f} s  {second.new} new; sources: {_count(s.status for s in second.sources)}")
    for source in first.failed:
        print(f"  failed: {source.key.rsplit('/', 2)[-2:]}: {source.error}")


def _count(statuses) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


if __name__ == "__main__":
    main()
