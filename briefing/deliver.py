"""Deliver: write each rendered briefing into the archive folder, atomically; list and prune the archive."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .errors import DeliveryError
from .render import Rendered


def write_archive(rendered: Rendered, folder: Path, on: date, formats: Iterable[str]) -> list[Path]:
    """Write `<folder>/<YYYY-MM-DD>.<format>` for each format; a reader never sees half a file.

    A PDF is recorded with its fingerprint (`.pdf/<date>.json`), so that a later run of the same
    content can keep it (`archived_pdf`); one that was kept is already in place."""
    written = []
    for fmt in formats:
        content = rendered.html.encode("utf-8") if fmt == "html" else rendered.pdf
        if content is None:
            raise DeliveryError(f"no {fmt} rendering to write")
        target = folder / f"{on.isoformat()}.{fmt}"
        written.append(target)
        if fmt == "pdf" and rendered.pdf_kept:
            continue
        _write_atomically(target, content)
        if fmt == "pdf" and rendered.pdf_fingerprint:
            record = {"fingerprint": rendered.pdf_fingerprint, "sha256": hashlib.sha256(content).hexdigest()}
            _write_atomically(_pdf_record(folder, on), json.dumps(record).encode("utf-8"))
    return written


def archived_pdf(folder: Path, on: date, fingerprint: str) -> bytes | None:
    """The archived PDF of that date, if it was made from `fingerprint` and is unaltered since."""
    try:
        record = json.loads(_pdf_record(folder, on).read_text(encoding="utf-8"))
        if record["fingerprint"] != fingerprint:
            return None
        content = (folder / f"{on.isoformat()}.pdf").read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no record, or not one of ours: the PDF is made again
    return content if hashlib.sha256(content).hexdigest() == record["sha256"] else None


def _pdf_record(folder: Path, on: date) -> Path:
    return folder / PDF_RECORDS_FOLDER / f"{on.isoformat()}.json"


@dataclass(frozen=True)
class ArchiveEntry:
    """One date's briefing in an audience's archive folder, with the files it has."""

    date: date
    files: tuple[Path, ...]

    def file(self, suffix: str) -> Path | None:
        return next((f for f in self.files if f.suffix == f".{suffix}"), None)


_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(html|pdf)$")
MAIL_FOLDER = ".mail"
PDF_RECORDS_FOLDER = ".pdf"


def archive_entries(folder: Path) -> list[ArchiveEntry]:
    """Every dated briefing in the folder, newest first."""
    by_date: dict[date, list[Path]] = {}
    for path in folder.iterdir() if folder.is_dir() else ():
        match = _DATED.match(path.name)
        if match:
            by_date.setdefault(date.fromisoformat(match.group(1)), []).append(path)
    return [ArchiveEntry(day, tuple(sorted(by_date[day]))) for day in sorted(by_date, reverse=True)]


def prune_archive(folder: Path, keep_days: int, today: date) -> list[Path]:
    """Delete the briefings (and their mail copies and PDF records) dated more than `keep_days` days before today."""
    oldest = today - timedelta(days=keep_days - 1)
    removed = []
    for entry in archive_entries(folder):
        if entry.date >= oldest:
            continue
        extra = [path for sub in (MAIL_FOLDER, PDF_RECORDS_FOLDER) if (folder / sub).is_dir()
                 for path in (folder / sub).glob(f"{entry.date.isoformat()}.*")]
        for path in [*entry.files, *extra]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_file(target: Path, content: bytes) -> Path:
    """Write one file atomically (a reader never sees half of it)."""
    _write_atomically(target, content)
    return target


def write_preview(html: str, folder: Path) -> Path:
    """`<folder>/preview.html`, outside the dated archive."""
    target = folder / "preview.html"
    _write_atomically(target, html.encode("utf-8"))
    return target


def _write_atomically(target: Path, content: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
    except OSError as exc:
        raise DeliveryError(f"cannot write {target}: {exc.strerror}; check that the output folder is writable") from exc
