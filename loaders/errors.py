"""Exceptions shared across the CLI, importable by every command without importing the CLI itself
(``loaders.cli`` imports every command)."""


class UsageError(Exception):
    """A bad argument value found after parsing (the CLI exits 2 with a one-line message)."""
