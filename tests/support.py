"""Builders shared by the tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

from briefing.model import Article

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
SEED_ARTICLE = SEEDS / "000_4bea9b6b3f760c8e.txt"
SHARED_CORPUS = PROJECT.parent / "shared" / "corpus"


def make_article(**fields) -> Article:
    defaults = dict(
        id="a1", title="A headline", text="One sentence here. Another one follows.",
        source="Test Outlet", url="https://example.org/a1",
        published=datetime(2025, 3, 12, 9, 0, tzinfo=timezone.utc), language="en",
    )
    return Article(**{**defaults, **fields})


def write_config(folder: Path, body: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real `briefing` command (as `python -m briefing`) in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "briefing", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)
