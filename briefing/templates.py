"""Template sets on disk: which file an audience's search path resolves to, and copying a set to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from .config import Config
from .errors import ConfigError
from .resources import bundled_templates_dir


def resolve_template_files(search_path: list[Path]) -> list[tuple[str, Path, list[Path]]]:
    """(name, the file that wins, the files it hides) for every template name on the path."""
    names = sorted({p.relative_to(folder).as_posix() for folder in search_path
                    for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")})
    resolved = []
    for name in names:
        found = [folder / name for folder in search_path if (folder / name).is_file()]
        resolved.append((name, found[0], found[1:]))
    return resolved


def copy_template_set(config: Config, origin: str, name: str) -> Path:
    """Copy the set `origin` (the user's, else the bundled one) to `<templates>/<name>`; never overwrite."""
    root = config.templates or Path.cwd() / "templates"
    candidates = [root / origin, bundled_templates_dir() / origin]
    source = next((c for c in candidates if c.is_dir()), None)
    if source is None:
        raise ConfigError(f"no template set {origin!r} in {root} or the bundled sets; try --from default.")
    target = root / name
    if target.exists():
        raise ConfigError(f"{target} already exists; choose another name or delete it first.")
    shutil.copytree(source, target)
    return target
