"""The speed benchmarks run on any data of their format, not only the corpus they were written for."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support import PROJECT, SEED_ARTICLE


def _data_file(folder: Path, count: int) -> Path:
    """`count` articles in the CNN set's format, made from the seed article's paragraphs in turn."""
    paragraphs = [p for p in SEED_ARTICLE.read_text(encoding="utf-8").split("\n") if len(p.split()) > 8]
    rows = [{"article": " ".join(paragraphs[n % len(paragraphs):] + paragraphs[:n % len(paragraphs)])}
            for n in range(count)]
    path = folder / "data.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _benchmark(name: str, *args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / name), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pipeline_speed_runs_the_pipeline_on_given_data_and_prints_each_stage(tmp_path):
    data = _data_file(tmp_path, 8)
    out = _benchmark("pipeline_speed.py", str(data), "-n", "16", "--format", "html", cwd=tmp_path)
    assert re.search(r"^machine: \d+ cores, .* yardstick .*: \d+\.\d+ s$", out, re.M)
    assert "articles: 16 (8 from data.jsonl, 1 disguised copies)" in out
    for stage in ("collect", "summarise", "group", "render", "total"):
        assert re.search(rf"^\s*{stage}:\s+\d+\.\d+ s", out, re.M), stage
    assert "articles in the briefing 16" in out


def test_summary_speed_times_ours_and_the_library_way_on_given_data(tmp_path):
    _data_file(tmp_path, 4)
    out = _benchmark("summary_speed.py", str(tmp_path), "-n", "4", cwd=tmp_path)
    assert "4 articles from" in out
    assert re.search(r"^ours, articles and the 1 MB texts\s+median\s+\d", out, re.M)
    assert re.search(r"^ratio, plain library way / ours: \d+x", out, re.M)
