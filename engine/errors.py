"""Errors a person can act on: the command line prints them as one line and exits non-zero."""


class DreamwalkError(Exception):
    """Base of every error whose message is meant for the person running Dreamwalk."""


class ActionError(DreamwalkError, ValueError):
    """An action dict or value that does not follow the schema of engine/actions.py."""


class SourceError(DreamwalkError):
    """A simulator that cannot be opened as asked (unknown source, map or environment)."""


class DataError(DreamwalkError):
    """Recorded data that cannot be written or read (unwritable folder, full disk, corrupt shard)."""
