"""Exceptions shared across the CLI."""


class UsageError(Exception):
    """A bad argument value found after parsing (the CLI exits 2 with a one-line message)."""
