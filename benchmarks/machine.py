"""A yardstick printed by the speed benchmarks, so that figures from different machines (or one
machine on a busy day) can be compared: the same fixed work timed here, before the benchmark.

Where the yardstick takes twice as long, expect the benchmark's times to be about twice as long
too. It runs on one core and says nothing of the disk; the load average tells whether something
else was running.
"""

from __future__ import annotations

import os
import time

_ADDITIONS = 10_000_000


def yardstick_seconds(rounds: int = 3) -> float:
    """The fastest of `rounds` timings of ten million Python additions (one core, no libraries)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for number in range(_ADDITIONS):
            total += number
        best = min(best, time.perf_counter() - start)
    return best


def machine_line() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} cores, load average {load}; yardstick (10M Python additions, "
            f"best of 3): {yardstick_seconds():.2f} s")


if __name__ == "__main__":
    print(machine_line())
