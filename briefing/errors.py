"""The project's error hierarchy; each error maps to one CLI exit code."""


class BriefingError(Exception):
    """Base of every error the briefing reports to its user."""

    exit_code = 1


class ConfigError(BriefingError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class SourceError(BriefingError):
    """One source could not be read; the run goes on without it."""

    exit_code = 3


class RenderError(BriefingError):
    """A template failed or an output file could not be written."""

    exit_code = 4


class DeliveryError(BriefingError):
    """A finished briefing could not be delivered."""

    exit_code = 5


class StateError(BriefingError):
    """The state database cannot be opened, is corrupt, or is not ours."""

    exit_code = 6
