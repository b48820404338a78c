"""Bundled sample data: real Elexon payloads, legacy-CSV converters and a synthetic day generator,
laid out as a replay store for the loopback API replay server (see docs/samples.md).

Real data: Contains BMRS data © Elexon Limited copyright and database right (see real/README.md).
"""

from loaders.samples.store import build_store, iter_store_rows, read_manifest, store_path
from loaders.samples.synthetic import generate_bmunits, generate_day

__all__ = ["build_store", "generate_bmunits", "generate_day", "iter_store_rows", "read_manifest", "store_path"]
