"""Health checks for what the loaders set aside:

* ``quarantine``: items in quarantine per source and dataset, with their reasons (files under
  ``$GBPOWER_QUARANTINE_DIR`` and, when given, the ``--from-dir`` client folders'
  ``DIR/quarantine``). Above ``warn_items`` items a dataset is a warning; below, information.
  Inspect with ``gbpower quarantine list``, clear with ``gbpower quarantine purge``.
* ``iris kept``: well-formed IRIS messages kept in ``raw.iris_kept_messages`` because the registry
  cannot load them yet. Datasets the registry lacks are a warning naming them (add them, then
  ``gbpower iris promote``); kept messages of a dataset the registry now knows are a warning to run
  ``gbpower iris promote``; BOAV/EBOCF messages whose bid/offer side is unknown are information
  (the API catch-up loads the same data with the side from its route)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from loaders import config
from loaders.health.model import Check, Status, human_age
from loaders.quarantine_inventory import scan, summarise
from loaders.warehouse.base import Writer

QUARANTINE_WARN_ITEMS = 10  # default: a dataset with more items than this in quarantine is a warning


def default_warn_items() -> int:
    """``GBPOWER_QUARANTINE_WARN`` (items per dataset), default 10."""
    try:
        return int(os.environ.get("GBPOWER_QUARANTINE_WARN", QUARANTINE_WARN_ITEMS))
    except ValueError:
        return QUARANTINE_WARN_ITEMS


def quarantine_checks(
    now: datetime,
    *,
    root: Path | None = None,
    iris_dirs: list[Path] | None = None,
    warn_items: int | None = None,
) -> list[Check]:
    root = root or config.quarantine_dir()
    limit = default_warn_items() if warn_items is None else warn_items
    summaries = summarise(scan(root, iris_dirs))
    if not summaries:
        return [Check("quarantine", "all", Status.OK, f"nothing in quarantine ({root})", {"root": str(root)})]
    checks = []
    for s in summaries:
        newest = datetime.fromtimestamp(s.newest, UTC) if s.newest else None
        reasons = sorted(s.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        text = ", ".join(f"{r} ×{n}" for r, n in reasons[:3]) + (
            f", +{len(reasons) - 3} more" if len(reasons) > 3 else ""
        )
        over = s.items > limit
        msg = (
            f"{s.items} item(s) in {s.units} file(s), newest {human_age(now - newest if newest else None)}: {text}"
            + (f" (more than {limit}: see `gbpower quarantine list`)" if over else "")
        )
        details = {
            "items": s.items,
            "files": s.units,
            "bytes": s.size,
            "reasons": dict(reasons),
            "newest_utc": newest.strftime("%Y-%m-%dT%H:%M:%SZ") if newest else None,
            "warn_above": limit,
        }
        checks.append(
            Check("quarantine", f"{s.source}/{s.dataset}", Status.WARN if over else Status.INFO, msg, details)
        )
    return checks


def kept_checks(writer: Writer) -> list[Check]:
    """The ``iris kept`` checks from ``raw.iris_kept_messages`` (messages not yet promoted)."""
    from loaders.iris.promote import kept_counts, loadable

    rows = kept_counts(writer)
    if not rows:
        return [Check("iris kept", "all", Status.OK, "no kept IRIS messages waiting")]
    unregistered: dict[str, int] = {}
    promotable: dict[str, int] = {}
    side_unknown: dict[str, int] = {}
    for dataset, reason, n in rows:
        if reason == "bid_offer_unknown":
            side_unknown[dataset] = side_unknown.get(dataset, 0) + n
        elif loadable(dataset):
            promotable[dataset] = promotable.get(dataset, 0) + n
        else:
            unregistered[dataset] = unregistered.get(dataset, 0) + n

    def listing(counts: dict[str, int]) -> str:
        return ", ".join(f"{d} {n}" for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    checks = []
    if unregistered:
        names = [d for d in sorted(unregistered) if d != "unknown"]
        add = f"add {', '.join(names)} to the registry (loaders/datasets/), then run `gbpower iris promote`"
        if "unknown" in unregistered:
            add += "; 'unknown' = messages naming no dataset"
        checks.append(
            Check(
                "iris kept",
                "unregistered datasets",
                Status.WARN,
                f"{sum(unregistered.values())} kept message(s) of datasets the registry lacks "
                f"({listing(unregistered)}): {add}",
                {"messages": unregistered, "datasets_to_add": names},
            )
        )
    if promotable:
        checks.append(
            Check(
                "iris kept",
                "promotable",
                Status.WARN,
                f"{sum(promotable.values())} kept message(s) of datasets the registry now loads "
                f"({listing(promotable)}): run `gbpower iris promote`",
                {"messages": promotable},
            )
        )
    if side_unknown:
        checks.append(
            Check(
                "iris kept",
                "bid/offer side unknown",
                Status.INFO,
                f"{sum(side_unknown.values())} BOAV/EBOCF message(s) with no derivable bid/offer side kept "
                f"({listing(side_unknown)}); the API catch-up loads the same data with its side",
                {"messages": side_unknown},
            )
        )
    return checks
