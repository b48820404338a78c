"""``python -m loaders.replay --store DIR [--port N]``: serve a replay store until interrupted.

Prints the API base URL on its first line (use it as BMRS_API_BASE_URL)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from loaders.replay.server import ReplayServer


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m loaders.replay")
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ReplayServer(args.store, port=args.port) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
