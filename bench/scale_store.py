"""Years of production-size history without years of files: a replay store that serves any settlement
day by shifting one generated template day of the same kind.

Four template days are generated once (``loaders.samples`` production scale, every registry dataset):
a 48-period winter (GMT) day, a 48-period summer (BST) day, the 46-period spring clock-change day and
the 50-period autumn one. Day D is served from the template T of its kind with every ``YYYY-MM-DD``
token shifted by D − T. Whole-day shifts keep a day's UTC times right because D and T have the same
UTC offset and period count, so clock-change days keep 46/50 periods and every natural key that holds
a date or time (all but a few, see below) stays unique across the year.

Keys without a date: REMIT's ``mrid`` is suffixed with the day, so each day's messages are new ones.
Reference-style datasets keyed on year/month only (CCM, FEIB, IGCA, YAFM, …) are re-published the same
keys every day, as they would be by Elexon — they do not grow with history, which is true of the real
data too.

Shifted day files are written on demand under ``cache`` (the directory the replay server reads) and
the oldest are deleted once more than ``keep_days`` days are materialised: a year of production days
is ~65 GB of NDJSON, while the loader only ever asks for a few neighbouring days at a time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import sys
import threading
from collections import Counter, OrderedDict
from datetime import date, datetime, time, timedelta
from pathlib import Path

from loaders.datasets.spec import Dataset
from loaders.replay.server import ReplayServer, Store
from loaders.settlement import LONDON, periods_in_day

# One template day of each kind (2024: the spring change is 31 March, the autumn change 27 October).
TEMPLATE_DAYS = {
    "gmt": date(2024, 1, 10),
    "bst": date(2024, 6, 12),
    "spring": date(2024, 3, 31),
    "autumn": date(2024, 10, 27),
}
DATE_TOKEN = re.compile(rb"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?![0-9])")
DATE_PLAIN = re.compile(rb"(?<![0-9])\d{4}-\d{2}-\d{2}(?![0-9])")
MRID = re.compile(rb'("mrid":")([^"]*)(")')


def day_kind(day: date) -> str:
    periods = periods_in_day(day)
    if periods == 46:
        return "spring"
    if periods == 50:
        return "autumn"
    offset = datetime.combine(day, time(12), tzinfo=LONDON).utcoffset()
    return "bst" if offset and offset.total_seconds() else "gmt"


def template_for(day: date) -> date:
    return TEMPLATE_DAYS[day_kind(day)]


def _moved(token: bytes, days: int) -> bytes | None:
    try:
        return (date.fromisoformat(token.decode()) + timedelta(days=days)).isoformat().encode()
    except ValueError:  # not a calendar date: leave it
        return None


def _shift_by_replace(data: bytes, days: int) -> bytes | None:
    """The date shift as one ``bytes.replace`` per distinct date token (C speed; a day's files hold a
    handful of dates), or None when some token also occurs inside a longer run of digits (then only
    the regex is exact). Tokens are replaced from the far end of the shift's direction, so a moved
    date never meets a token still to be moved."""
    found = Counter(DATE_PLAIN.findall(data))
    if any(data.count(token) != n for token, n in found.items()):
        return None
    for token in sorted(found, reverse=days > 0):
        moved = _moved(token, days)
        if moved is not None:
            data = data.replace(token, moved)
    return data


def shift_bytes(data: bytes, days: int, dataset: str, day: date) -> bytes:
    """Every date token in ``data`` moved ``days`` days; REMIT message ids made unique per day."""
    shifted = _shift_by_replace(data, days) if days else data
    if shifted is not None:
        data = shifted
    else:
        cache: dict[bytes, bytes] = {}

        def shift(m: re.Match[bytes]) -> bytes:
            token = m.group(0)
            out = cache.get(token)
            if out is None:
                try:
                    moved = date(int(m.group(1)), int(m.group(2)), int(m.group(3))) + timedelta(days=days)
                    out = moved.isoformat().encode()
                except ValueError:  # not a calendar date: leave it
                    out = token
                cache[token] = out
            return out

        data = DATE_TOKEN.sub(shift, data)
    if dataset == "REMIT":
        suffix = b"-" + day.isoformat().encode()
        data = MRID.sub(lambda m: m.group(1) + m.group(2) + suffix + m.group(3), data)
    return data


class ShiftedStore(Store):
    """A :class:`Store` whose day files are made on demand from the template store."""

    def __init__(self, templates: Path, cache: Path, keep_days: int = 16) -> None:
        super().__init__(cache)
        self.templates = Path(templates)
        self.keep_days = keep_days
        self._made: OrderedDict[date, list[Path]] = OrderedDict()
        self._make_lock = threading.Lock()
        cache.mkdir(parents=True, exist_ok=True)
        snapshot = self.templates / "BMUNITS" / "snapshot.ndjson"
        if snapshot.exists():
            (cache / "BMUNITS").mkdir(exist_ok=True)
            shutil.copyfile(snapshot, cache / "BMUNITS" / "snapshot.ndjson")

    def day_file(self, dataset: Dataset, day: date, variant: str | None = None) -> Path:
        path = super().day_file(dataset, day, variant)
        if path.exists():
            return path
        with self._make_lock:
            if not path.exists():
                self._make(dataset, day, variant, path)
        return path

    def materialise(self, first: date, last: date) -> None:
        """Make every dataset's day files for ``first``..``last`` now (the bench does this before it
        times a landing, so the timing is the loader's, not the fake API's shifting)."""
        from loaders.registry import DATASETS, TimeParams

        day = first
        while day <= last:
            for dataset in DATASETS.values():
                if dataset.time_params is not TimeParams.SNAPSHOT:
                    for variant in dataset.variants or (None,):
                        self.day_file(dataset, day, variant)
            day += timedelta(days=1)

    def _make(self, dataset: Dataset, day: date, variant: str | None, path: Path) -> None:
        template = template_for(day)
        source = self.templates / dataset.name / (variant or "") / f"{template.isoformat()}.ndjson"
        if not source.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(shift_bytes(source.read_bytes(), (day - template).days, dataset.name, day))
        os.replace(tmp, path)
        self._made.setdefault(day, []).append(path)
        self._made.move_to_end(day)
        while len(self._made) > self.keep_days:
            _, old = self._made.popitem(last=False)
            for f in old:
                f.unlink(missing_ok=True)


def build_templates(root: Path) -> None:
    """Generate the four template days (every registry dataset, production scale) once."""
    from loaders.samples.store import build_store

    marker = root / ".complete"
    if marker.exists():
        return
    build_store(root, sorted(TEMPLATE_DAYS.values()), scale="production", include_real=False)
    marker.write_text("ok")


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale_store", description="serve shifted template days")
    p.add_argument("--templates", type=Path, required=True)
    p.add_argument("--cache", type=Path, required=True)
    args = p.parse_args()
    build_templates(args.templates)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = ReplayServer(args.templates)
    server.store = ShiftedStore(args.templates, args.cache)
    with server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    shutil.rmtree(args.cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
