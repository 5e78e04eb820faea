"""Library exceptions; the CLI turns them into messages and exit codes."""


class AvtomonError(Exception):
    """Base class for errors the user can act on."""


class ConfigError(AvtomonError):
    """feeds.yaml (or another config) is missing or invalid; exit status 2."""


class StoreError(AvtomonError):
    """The database cannot be opened or migrated."""


class WorkerError(AvtomonError):
    """An extraction worker process failed; what it stored before is kept."""
