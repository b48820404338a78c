"""The bid/offer side of IRIS BOAV, DISPTAV, EBOCF and ISPSTACK records.

The API puts the side in the route (``…/all/{bid|offer}/{settlementDate}``) and the loader stores it
in the dataset's variant column (``bidOffer``). An IRIS message has no route, so the side must come
from the message itself. The rules, in order (the first that applies wins):

1. **An explicit field.** A record that carries the variant column (``bidOffer``) keeps it; ``bid`` /
   ``offer`` in any case, or ``B`` / ``O``, are accepted and written as ``bid`` / ``offer``.
2. **The sign of the volumes (BOAV, and DISPTAV: its period totals).** Under the BSC volume method
   an accepted *offer* volume is ``max(…, 0)`` and an accepted *bid* volume ``min(…, 0)`` for every
   pair, whichever side of FPN the pair's band lies (Elexon's own derived data shows offer volumes
   under negative pair numbers and bid volumes under positive ones, so the pair keys say nothing
   about the side). So a BOAV or DISPTAV record whose non-null ``pairVolumes`` values and
   ``totalVolumeAccepted`` are all ``>= 0`` with at least one ``> 0`` is an offer; all ``<= 0`` with
   at least one ``< 0`` a bid.
3. **Otherwise the side is unknown**: mixed signs, all zero/null, an EBOCF record without an
   explicit field (a cashflow is volume × price, and prices may be negative, so its sign does not
   tell the side), or an ISPSTACK record without one (the stack's sign convention is undocumented).
   Such a message is not loaded and not dropped: it is kept whole in ``raw.iris_kept_messages`` with
   reason ``bid_offer_unknown`` (the daily API catch-up loads the same data with the side from the
   route; ``gbpower iris promote`` retries kept messages)."""

from __future__ import annotations

import json
from typing import Any

from loaders.registry import Dataset

_SIDES = {"bid": "bid", "b": "bid", "offer": "offer", "o": "offer"}
VOLUME_FIELDS = ("pairVolumes", "totalVolumeAccepted")


class SideUnknown(ValueError):
    """No rule gives the side of a record."""


def _numbers(value: Any) -> list[float]:
    """The numbers in a field: a number, or the values of a pair object (possibly JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            try:
                return [float(value)]
            except ValueError:
                return []
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    return []


def side_of(dataset: Dataset, record: dict[str, Any]) -> str:
    """``'bid'`` or ``'offer'`` for one record of a variant dataset; raises :class:`SideUnknown`."""
    column = dataset.variant_column
    assert column, f"{dataset.name} has no variant column"
    explicit = record.get(column)
    if explicit is not None:
        side = _SIDES.get(str(explicit).strip().lower())
        if side is None:
            raise SideUnknown(f"{column}={explicit!r} is neither bid nor offer")
        return side
    if dataset.name not in ("BOAV", "DISPTAV"):
        why = "a cashflow's sign does not tell the side" if dataset.name == "EBOCF" else "no rule reads its side"
        raise SideUnknown(f"{dataset.name} record has no {column} field ({why})")
    values = [n for f in VOLUME_FIELDS for n in _numbers(record.get(f))]
    if any(v > 0 for v in values) and not any(v < 0 for v in values):
        return "offer"
    if any(v < 0 for v in values) and not any(v > 0 for v in values):
        return "bid"
    what = "mixed signs" if values and any(values) else "no non-zero volume"
    raise SideUnknown(f"{dataset.name} record has no {column} field and its volumes have {what}")


def with_sides(dataset: Dataset, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with the variant column filled in (new dicts); raises :class:`SideUnknown` naming
    the first record whose side no rule gives (the whole message is then kept, not split)."""
    if not dataset.variant_column:
        return records
    out = []
    for i, rec in enumerate(records):
        try:
            side = side_of(dataset, rec)
        except SideUnknown as exc:
            raise SideUnknown(f"record {i}: {exc}") from None
        out.append({**rec, dataset.variant_column: side})
    return out
