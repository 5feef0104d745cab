"""Where the bundled templates and seeds live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    # A wheel carries these inside the package (see pyproject.toml); a source
    # checkout or an editable install has them at the project's top level.
    inside = _PACKAGE / "_bundled" / name
    return inside if inside.exists() else _PACKAGE.parent / name


def bundled_config_file() -> Path:
    return _bundled("config.yaml")


def bundled_templates_dir() -> Path:
    return _bundled("templates")


def bundled_seeds_dir() -> Path:
    return _bundled("seeds")
