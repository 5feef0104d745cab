"""Stable article ids: the same article gets the same id on every run."""

from __future__ import annotations

import hashlib


def stable_id(*parts: str) -> str:
    """A short hex digest of the given parts (a guid, a URL, or a path and title)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
