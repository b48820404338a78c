"""Sub-commands of the ``gbpower`` CLI (one module each, see ``loaders.cli``)."""
