"""Dynamic data and quiescent notifications per BM unit: quiescent physical notifications (QPN), stable
limits (SEL, SIL), delivery limits (MDV, MDP), notice times (NDZ, NTO, NTB), minimum zero and non-zero
times (MZT, MNZT) and run rates (RURE, RDRE, RURI, RDRI) — the declared limits an acceptance must respect.

Every dynamic dataset has the same shape: one declared value per BM unit from ``time`` on (settlement
date and period are the period ``time`` falls in). The entries differ only in the value field."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import API_DAILY, IRIS_DEFAULT, Dataset, Envelope, Policy, TimeParams, Unified, stale_after


def _dynamic_columns(value: str) -> str:
    return (
        f"dataset:string settlementDate:date! settlementPeriod:integer! time:timestamp! {value} "
        "nationalGridBmUnit:string! bmUnit:string"
    )


_RATE_VALUE = "rate1:number! elbow2:number rate2:number elbow3:number rate3:number"
_RATE_DOCS = {
    "rate1": "Rate of the first band (MW/minute).",
    "elbow2": "Level where the second band starts (MW); null with a single rate.",
    "rate2": "Rate of the second band (MW/minute).",
    "elbow3": "Level where the third band starts (MW); null with fewer than three rates.",
    "rate3": "Rate of the third band (MW/minute).",
}
_TIME_DOC = "From when the declared value applies (UTC)."
# Dynamic data are re-declared when a unit's capability changes, so a quiet IRIS day has few messages.
_DYNAMIC_POLICY = Policy(
    upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=24))
)
_KEY_COMMON = (
    " One declared value per BM unit from a point in time: the item schema has a single non-nullable "
    "`time` and no sequence or version field, so (nationalGridBmUnit, time) is the key and a re-declaration "
    "for the same time replaces the earlier row (the API row wins a tie, then the latest ingestion). IRIS "
    "carries it stamped by `time` (Elexon insights-docs dataset_fields_for_iris_timestamp.md)."
)
_QUIRK = (
    "Event-driven: a value is sent when it is declared or changes, not every period; read it as an interval "
    "from time to the unit's next declaration."
)


def _dynamic(name: str, description: str, value: str, docs: dict[str, str], evidence: str) -> Dataset:
    """One dynamic dataset: the shape every entry below shares; only the value field(s) differ."""
    return Dataset(
        name=name,
        description=description,
        route=f"/datasets/{name}/stream",
        time_params=TimeParams.FROM_TO,
        envelope=Envelope.ARRAY,
        columns_spec=_dynamic_columns(value),
        natural_key=("nationalGridBmUnit", "time"),
        window_column="time",
        bm_unit_column="nationalGridBmUnit",
        partition_column="settlementDate",
        policy=_DYNAMIC_POLICY,
        unified=Unified(incremental="settlementDate", cluster="nationalGridBmUnit"),
        column_docs={**docs, "time": _TIME_DOC},
        quirks=(_QUIRK,),
        key_evidence=evidence + _KEY_COMMON,
    )


QPN = Dataset(
    name="QPN",
    description="Quiescent physical notifications: MW levels deducted from a unit's PN (piecewise linear).",
    route="/datasets/QPN/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string settlementDate:date! settlementPeriod:integer! timeFrom:timestamp! "
        "timeTo:timestamp! levelFrom:integer! levelTo:integer! nationalGridBmUnit:string! bmUnit:string"
    ),
    natural_key=("nationalGridBmUnit", "settlementDate", "settlementPeriod", "timeFrom"),
    window_column="timeFrom",
    bm_unit_column="nationalGridBmUnit",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    unified=Unified(incremental="settlementDate", cluster="nationalGridBmUnit"),
    column_docs={
        "levelFrom": "Quiescent physical notification at time_from (MW).",
        "levelTo": "Quiescent physical notification at time_to (MW).",
    },
    quirks=("Levels are whole MW (integers), unlike PN's.",),
    key_evidence=(
        'Same shape and key as PN: the OpenAPI document says QPNs "describe the MW levels to be deducted '
        'from the Physical Notification of a BM Unit", one straight-line segment per unit, period and '
        "timeFrom (all non-nullable); the real sample gridskew_qpn_stream.json has one row per "
        "DRAXX-1 period. No version field: a resubmission replaces the segment. IRIS stamps QPN by "
        "timeFrom (Elexon insights-docs)."
    ),
)

SEL = _dynamic(
    "SEL",
    "Stable export limit per BM unit (MW): the lowest stable exporting level.",
    "level:integer!",
    {"level": "Stable export limit (MW, positive)."},
    (
        'SEL per the OpenAPI document: "a positive megawatt value, expressing the minimum stable '
        'operating level at which a particular BM Unit can export power".'
    ),
)

SIL = _dynamic(
    "SIL",
    "Stable import limit per BM unit (MW): the lowest stable importing level.",
    "level:integer!",
    {"level": "Stable import limit (MW, negative)."},
    (
        'SIL per the OpenAPI document: "a negative megawatt value, expressing the minimum stable '
        'operating level at which a particular BM Unit can import power".'
    ),
)

MDV = _dynamic(
    "MDV",
    "Maximum delivery volume per BM unit (MWh of offer or bid within the maximum delivery period).",
    "volumeMax:integer!",
    {"volumeMax": "Maximum delivery volume (MWh) within the maximum delivery period."},
    (
        'MDV per the OpenAPI document: "the maximum number of MWh of Offer (or Bid), that a particular '
        'BM Unit may deliver within the associated Maximum Delivery Period".'
    ),
)

MDP = _dynamic(
    "MDP",
    "Maximum delivery period per BM unit (minutes over which the maximum delivery volume applies).",
    "periodMax:integer!",
    {"periodMax": "Maximum delivery period (minutes)."},
    (
        'MDP per the OpenAPI document: "the maximum period, expressed in minutes, over which the Maximum'
        ' Delivery Volume (MDV) applies".'
    ),
)

NDZ = _dynamic(
    "NDZ",
    "Notice to deviate from zero per BM unit (minutes).",
    "notice:integer!",
    {"notice": "Notice to deviate from zero (minutes)."},
    (
        'NDZ per the OpenAPI document: "the length of time required for a BM Unit to start importing or '
        "exporting energy, from a zero Physical Notification level as a result of a Bid-Offer "
        'Acceptance".'
    ),
)

NTO = _dynamic(
    "NTO",
    "Notice to deliver offers per BM unit (minutes).",
    "notice:integer!",
    {"notice": "Notice to deliver offers (minutes)."},
    (
        'NTO per the OpenAPI document: "the length of time required for a BM Unit to start delivering '
        'Offers from the time that the Bid-Offer Acceptance is issued".'
    ),
)

NTB = _dynamic(
    "NTB",
    "Notice to deliver bids per BM unit (minutes).",
    "notice:integer!",
    {"notice": "Notice to deliver bids (minutes)."},
    (
        'NTB per the OpenAPI document: "the length of time between the issuing of a Bid-Offer Acceptance'
        ' and the time when a BM Unit begins to deliver Bid volumes".'
    ),
)

MZT = _dynamic(
    "MZT",
    "Minimum zero time per BM unit (minutes a unit must stay at zero).",
    "periodMin:integer!",
    {"periodMin": "Minimum zero time (minutes)."},
    (
        'MZT per the OpenAPI document: "the minimum time that a BM Unit which has been exporting must '
        'operate at zero or import, before returning to export".'
    ),
)

MNZT = _dynamic(
    "MNZT",
    "Minimum non-zero time per BM unit (minutes a unit must stay off zero).",
    "periodMin:integer!",
    {"periodMin": "Minimum non-zero time (minutes)."},
    (
        'MNZT per the OpenAPI document: "the minimum time that a BM Unit can operate at a non-zero level'
        ' as a result of a Bid-Offer Acceptance".'
    ),
)

RURE = _dynamic(
    "RURE",
    "Run-up rates export per BM unit (MW/minute, up to three bands).",
    _RATE_VALUE,
    _RATE_DOCS,
    (
        'RURE per the OpenAPI document: it expresses "the rate of increase in active power production '
        '(MW/minute) for a particular BM Unit which is exporting power".'
    ),
)

RDRE = _dynamic(
    "RDRE",
    "Run-down rates export per BM unit (MW/minute, up to three bands).",
    _RATE_VALUE,
    _RATE_DOCS,
    (
        'RDRE per the OpenAPI document: it expresses "the rate of decrease in active power production '
        '(MW/minute) for a particular BM Unit which is exporting power".'
    ),
)

RURI = _dynamic(
    "RURI",
    "Run-up rates import per BM unit (MW/minute, up to three bands).",
    _RATE_VALUE,
    _RATE_DOCS,
    (
        'RURI per the OpenAPI document: it expresses "the rate of decrease in active power consumption '
        '(MW/minute) for a particular BM Unit which is importing power".'
    ),
)

RDRI = _dynamic(
    "RDRI",
    "Run-down rates import per BM unit (MW/minute, up to three bands).",
    _RATE_VALUE,
    _RATE_DOCS,
    (
        'RDRI per the OpenAPI document: it expresses "the rate of increase in active power consumption '
        '(MW/minute) for a particular BM Unit which is importing power".'
    ),
)
