"""Deliver: write each rendered briefing into the archive folder, atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from .errors import DeliveryError
from .render import Rendered


def write_archive(rendered: Rendered, folder: Path, on: date, formats: Iterable[str]) -> list[Path]:
    """Write `<folder>/<YYYY-MM-DD>.<format>` for each format; a reader never sees half a file."""
    written = []
    for fmt in formats:
        content = rendered.html.encode("utf-8") if fmt == "html" else rendered.pdf
        if content is None:
            raise DeliveryError(f"no {fmt} rendering to write")
        target = folder / f"{on.isoformat()}.{fmt}"
        _write_atomically(target, content)
        written.append(target)
    return written


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
