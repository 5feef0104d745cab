"""Tailor: the grouped sections cut to what one audience wants to see.

Pure functions of their input. The stories an audience does not get (its keywords exclude
them, its sections hide them, its limits leave no room) are returned separately, so the
pipeline can record them as left out for that audience rather than as delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .config import Audience, SourceConfig
from .errors import ConfigError
from .group import mentions
from .model import Section, Story


@dataclass(frozen=True)
class Tailored:
    sections: tuple[Section, ...]
    left_out: tuple[Story, ...]


def tailor(sections: Sequence[Section], audience: Audience) -> Tailored:
    """Keywords first, then which sections and in what order, then the limits."""
    left_out: list[Story] = []
    kept_sections: list[Section] = []
    for section in _chosen_sections(sections, audience, left_out):
        stories = [s for s in section.stories if _wanted(s, audience)]
        left_out.extend(s for s in section.stories if s not in stories)
        limit = audience.max_stories_per_section
        if limit is not None:
            left_out.extend(stories[limit:])
            stories = stories[:limit]
        if stories:
            kept_sections.append(replace(section, stories=tuple(stories)))
    if audience.max_sections is not None:
        for section in kept_sections[audience.max_sections:]:
            left_out.extend(section.stories)
        kept_sections = kept_sections[:audience.max_sections]
    return Tailored(tuple(kept_sections), tuple(left_out))


def source_keys(sources: Sequence[SourceConfig], audience: Audience) -> list[str] | None:
    """The keys of the sources this audience reads (by name or tag); None means all of them."""
    if audience.sources is None:
        return None
    wanted = {name.casefold() for name in audience.sources}
    chosen = [s for s in sources if s.display_name.casefold() in wanted
              or wanted & {tag.casefold() for tag in s.tags}]
    matched = {s.display_name.casefold() for s in chosen} | {t.casefold() for s in chosen for t in s.tags}
    unknown = sorted(name for name in audience.sources if name.casefold() not in matched)
    if unknown:
        raise ConfigError(
            f"audience {audience.name!r}: sources {', '.join(map(repr, unknown))} match no source name or tag; "
            f"the sources are: {', '.join(s.display_name for s in sources)}."
        )
    return [s.key for s in chosen]


def _chosen_sections(sections: Sequence[Section], audience: Audience, left_out: list[Story]) -> list[Section]:
    hidden = {name.casefold() for name in audience.hidden_sections}
    only = {name.casefold() for name in audience.sections} if audience.sections is not None else None
    chosen = []
    for section in sections:
        title = section.title.casefold()
        if title in hidden or (only is not None and title not in only):
            left_out.extend(section.stories)
        else:
            chosen.append(section)
    pinned = [name.casefold() for name in audience.pinned_sections]
    rank = {name: index for index, name in enumerate(pinned)}
    return sorted(chosen, key=lambda s: rank.get(s.title.casefold(), len(pinned)))  # stable: the rest keep their order


def _wanted(story: Story, audience: Audience) -> bool:
    if audience.exclude and mentions(story, audience.exclude):
        return False
    return not audience.include or mentions(story, audience.include)
