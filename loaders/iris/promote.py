"""``gbpower iris promote``: load kept IRIS messages into their typed tables once the registry knows
their dataset (or once the bid/offer side of a kept BOAV/EBOCF message can be derived).

Kept messages (``raw.iris_kept_messages``, see ``loaders.warehouse.kept_messages``) are read in
pages of ``page`` messages, in message-id order, and each page goes through exactly the path a live
IRIS batch takes (``pipeline.prepare_batch``: decode, route, bid/offer side, registry validation,
row quarantine) and is committed in ONE transaction together with the marks on the kept rows it
settled: ``loaded`` (its rows are in ``raw.bmrs_<dataset>_iris`` and its id in
``raw.iris_messages``) or ``quarantined`` (a record failed the registry types; a copy of the kept
body goes to ``$GBPOWER_QUARANTINE_DIR/iris/<DATASET>/``). Messages that still cannot be loaded stay
kept, unmarked. A message whose id is already in ``raw.iris_messages`` adds no row. So a promote
run is atomic per page and can be re-run, or killed and re-run, without adding anything twice.
Promoted rows stay in the kept table (marked): they are the copy of the message as IRIS sent it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from loaders import config
from loaders.iris.pipeline import Incoming, commit_batch, prepare_batch, quarantine_message
from loaders.quarantine import Quarantine
from loaders.registry import UnknownDataset, get_dataset
from loaders.warehouse.base import Writer
from loaders.warehouse.kept_messages import KEPT_TABLE, Promotion, kept_table_ref

log = logging.getLogger(__name__)

PAGE = 500  # kept messages per transaction


@dataclass
class PromoteResult:
    loaded: Counter[str] = field(default_factory=Counter)  # messages per dataset
    quarantined: Counter[str] = field(default_factory=Counter)
    still_kept: Counter[str] = field(default_factory=Counter)
    records: int = 0
    inserted: int = 0


def kept_counts(writer: Writer, *, pending_only: bool = True) -> list[tuple[str, str, int]]:
    """(dataset, reason, messages) of the kept table; only those not yet promoted by default."""
    where = "WHERE promoted_at IS NULL" if pending_only else ""
    rows = writer.query(
        f"SELECT dataset, reason, count(*) FROM {kept_table_ref(writer.target)} {where} "
        "GROUP BY dataset, reason ORDER BY dataset, reason"
    )
    return [(str(d), str(r), int(n)) for d, r, n in rows]


def loadable(name: str) -> bool:
    """True if the registry can now load ``name`` from IRIS."""
    try:
        return get_dataset(name).iris
    except UnknownDataset:
        return False


def promote_kept(
    writer: Writer,
    datasets: list[str] | None = None,
    *,
    page: int = PAGE,
    work_root: Path | None = None,
    quarantine_root: Path | None = None,
) -> PromoteResult:
    """Promote the kept messages of ``datasets`` (default: every kept dataset the registry can now
    load). Returns what happened per dataset."""
    pending = {d for d, _r, _n in kept_counts(writer) if loadable(d)}
    if datasets is not None:  # match on the registry name: kept rows carry the subject's spelling (an alias)
        wanted = {get_dataset(d).name for d in datasets if loadable(d)}
        pending = {d for d in pending if get_dataset(d).name in wanted}
    names = sorted(pending)
    qroot = quarantine_root or config.quarantine_dir()
    result = PromoteResult()
    for name in names:
        _promote_dataset(writer, name, page, work_root, qroot, result)
    return result


def _promote_dataset(
    writer: Writer, name: str, page: int, work_root: Path | None, qroot: Path, result: PromoteResult
) -> None:
    after = ""
    while True:
        rows = writer.query(
            f"SELECT message_id, subject, body FROM {kept_table_ref(writer.target)} "
            "WHERE dataset = ? AND promoted_at IS NULL AND message_id > ? ORDER BY message_id LIMIT ?",
            [name, after, page],
        )
        if not rows:
            return
        after = str(rows[-1][0])
        items = [
            Incoming(message_id=str(mid), subject=name if name != "unknown" else subject, body=str(body).encode())
            for mid, subject, body in rows
        ]
        batch = prepare_batch(items, work_root=work_root, quarantine=Quarantine(qroot))
        try:
            still = batch.kept
            batch.kept = []  # already kept: nothing to insert, they stay as they are
            promoted = [Promotion(m.message_id, "loaded") for m in batch.messages]
            promoted += [Promotion(p.message_id, "quarantined") for p in batch.poison]
            if promoted:
                res = commit_batch(writer, batch, promoted)
                result.inserted += res.inserted
            for p in batch.poison:  # after the commit: a failed commit leaves the kept rows as they were
                quarantine_message(
                    qroot / "iris", p, extra={"source": f"raw.{KEPT_TABLE} (promote; body as kept: the decoded JSON)"}
                )
            result.loaded[name] += len(batch.messages)
            result.records += sum(batch.records.values())
            result.quarantined[name] += len(batch.poison)
            result.still_kept[name] += len(still)
            log.info(
                "promote %s: %d loaded (%d records, batch %s), %d quarantined, %d still kept",
                name,
                len(batch.messages),
                sum(batch.records.values()),
                batch.batch_id,
                len(batch.poison),
                len(still),
            )
        finally:
            batch.cleanup()
