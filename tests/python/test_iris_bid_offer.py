"""IRIS BOAV and EBOCF: the bid/offer side (the API's route variant) derived from the message.

Records are built from Elexon's OpenAPI schemas (``AcceptanceVolumeResponse``,
``IndicativeCashflowResponse``: every field, the document's own example values) plus IRIS's
``dataset`` field; they go through the real service (fake Service Bus receiver) into a real DuckDB
file. A record whose side no rule gives is never dropped: its message is kept whole in
``raw.iris_kept_messages``."""

from __future__ import annotations

import json

import duckdb
import pytest

from loaders.iris.bid_offer import SideUnknown, side_of, with_sides
from loaders.registry import get_dataset
from tests.python.iris_fakes import FakeMessage
from tests.python.openapi_records import example_record
from tests.python.test_iris_kept import serve

BOAV = get_dataset("BOAV")
EBOCF = get_dataset("EBOCF")
PAIRS = [f"{s}{i}" for i in range(1, 7) for s in ("negative", "positive")]


def _pairs(**values: float) -> dict[str, float | None]:
    return {k: values.get(k) for k in PAIRS}


def boav(acceptance: int, total: float, **pairs: float) -> dict:
    """An IRIS BOAV record: the OpenAPI example row with these volumes."""
    return example_record(
        "AcceptanceVolumeResponse",
        dataset="BOAV",
        acceptanceId=acceptance,
        totalVolumeAccepted=total,
        pairVolumes=_pairs(**pairs),
    )


def ebocf(unit: str, total: float, **extra) -> dict:
    return example_record("IndicativeCashflowResponse", dataset="EBOCF", bmUnit=unit, totalCashflow=total, **extra)


def test_openapi_rows_have_no_side_field_and_fit_the_registry():
    """The premise: the API's rows carry no side (it is in the route); every other field is a column."""
    for dataset, schema in ((BOAV, "AcceptanceVolumeResponse"), (EBOCF, "IndicativeCashflowResponse")):
        row = example_record(schema)
        assert dataset.variant_column not in row
        assert set(row) <= set(dataset.column_names), set(row) - set(dataset.column_names)


@pytest.mark.parametrize(
    ("record", "side"),
    [
        (boav(1, 12.5, positive1=10.0, negative1=2.5), "offer"),  # offer volume in a negative pair, too
        (boav(2, -7.0, negative1=-5.0, positive2=-2.0), "bid"),  # bid volume in a positive pair, too
        (boav(3, None, positive1=3.0), "offer"),  # no total: the pairs decide
        (boav(4, -1.0), "bid"),  # no pair volumes: the total decides
        ({**boav(5, -3.0, negative1=-3.0), "bidOffer": "Offer"}, "offer"),  # an explicit field wins
        ({**boav(6, 3.0, positive1=3.0), "bidOffer": "B"}, "bid"),
        ({**ebocf("T_X-1", -517.3), "bidOffer": "bid"}, "bid"),
    ],
)
def test_side_rules(record, side):
    dataset = BOAV if record["dataset"] == "BOAV" else EBOCF
    assert side_of(dataset, record) == side


@pytest.mark.parametrize(
    ("dataset", "record", "fragment"),
    [
        (BOAV, example_record("AcceptanceVolumeResponse"), "mixed signs"),  # Elexon's own example row
        (BOAV, boav(7, 0.0, positive1=0.0), "no non-zero volume"),
        (BOAV, boav(8, None), "no non-zero volume"),
        (EBOCF, ebocf("T_X-1", 28080.0), "cashflow's sign does not tell the side"),
        (BOAV, {**boav(9, 1.0), "bidOffer": "both"}, "neither bid nor offer"),
    ],
)
def test_side_unknown(dataset, record, fragment):
    with pytest.raises(SideUnknown) as err:
        side_of(dataset, record)
    assert fragment in str(err.value)


def test_with_sides_names_the_record_and_does_not_touch_the_input():
    records = [boav(1, 2.0, positive1=2.0), boav(2, 1.0, positive1=2.0, negative1=-1.0)]
    with pytest.raises(SideUnknown, match="record 1: "):
        with_sides(BOAV, records)
    out = with_sides(BOAV, records[:1])
    assert out[0]["bidOffer"] == "offer" and "bidOffer" not in records[0]


def _msg(records, subject, mid) -> FakeMessage:
    return FakeMessage([json.dumps(records).encode()], subject, mid)


def test_iris_boav_and_ebocf_load_with_their_side_or_are_kept(tmp_path, duckdb_path):
    offers = [boav(101, 30.0, positive1=20.0, negative1=10.0), boav(102, 5.0, positive2=5.0)]
    bids = [boav(201, -12.0, negative1=-12.0)]
    mixed = [boav(301, 4.0, positive1=4.0), example_record("AcceptanceVolumeResponse", dataset="BOAV")]
    cash_explicit = [ebocf("T_A-1", 500.0, bidOffer="offer"), ebocf("T_B-1", 120.0, bidOffer="Bid")]
    cash_plain = [ebocf("T_C-1", -80.0)]
    messages = [
        _msg(offers, "BOAV", "BOAV_202510301730_1.json"),
        _msg(bids, "BOAV", "BOAV_202510301730_2.json"),
        _msg(mixed, "BOAV", "BOAV_202510301730_3.json"),
        _msg(cash_explicit, "EBOCF", "EBOCF_202510301730_1.json"),
        _msg(cash_plain, "EBOCF", "EBOCF_202510301730_2.json"),
    ]
    receiver = serve(tmp_path, duckdb_path, messages)
    assert receiver.dead_lettered == []
    assert {m.message_id for m in receiver.completed} == {m.message_id for m in messages}
    assert not (tmp_path / "quarantine").exists() or not any((tmp_path / "quarantine").rglob("*.json"))

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        rows = con.execute('SELECT "acceptanceId", "bidOffer", _extra FROM raw.bmrs_boav_iris ORDER BY 1').fetchall()
        cash = con.execute('SELECT "bmUnit", "bidOffer" FROM raw.bmrs_ebocf_iris ORDER BY 1').fetchall()
        kept = con.execute(
            "SELECT message_id, dataset, reason, description, record_count, body FROM raw.iris_kept_messages ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [(101, "offer", None), (102, "offer", None), (201, "bid", None)]
    assert cash == [("T_A-1", "offer"), ("T_B-1", "bid")]
    # the undecidable messages are kept whole (both records of the mixed one), not quarantined
    assert [(k[0], k[1], k[2], k[4]) for k in kept] == [
        ("BOAV_202510301730_3.json", "BOAV", "bid_offer_unknown", 2),
        ("EBOCF_202510301730_2.json", "EBOCF", "bid_offer_unknown", 1),
    ]
    assert "record 1" in kept[0][3] and "mixed signs" in kept[0][3]
    assert json.loads(kept[0][5]) == mixed and json.loads(kept[1][5]) == cash_plain


def test_disptav_side_from_its_volumes_ispstack_only_from_a_field():
    """DISPTAV rows are BOAV's period totals, so the sign rule applies; a stack item's sign convention
    for bids is not documented, so ISPSTACK needs an explicit field."""
    disptav, stack = get_dataset("DISPTAV"), get_dataset("ISPSTACK")
    offer = example_record(
        "IndicativeVolumeResponse",
        dataset="DISPTAV",
        totalVolumeAccepted=4.5,
        pairVolumes=_pairs(negative1=0.5, positive1=4.0),
    )
    bid = example_record(
        "IndicativeVolumeResponse", dataset="DISPTAV", totalVolumeAccepted=-2.0, pairVolumes=_pairs(negative1=-2.0)
    )
    assert (side_of(disptav, offer), side_of(disptav, bid)) == ("offer", "bid")
    item = example_record("SettlementStackResponse")
    assert stack.variant_column not in item
    with pytest.raises(SideUnknown, match="ISPSTACK record has no bidOffer field"):
        side_of(stack, item)
    assert side_of(stack, {**item, "bidOffer": "O"}) == "offer"
