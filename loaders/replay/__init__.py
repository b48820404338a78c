"""Loopback replay of the Insights API (see ``server.py``)."""

from loaders.replay.server import Fault, ReplayServer

__all__ = ["Fault", "ReplayServer"]
