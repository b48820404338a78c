"""Balancing Mechanism unit data: acceptances (BOALF), bid-offer data (BOD), physical notifications (PN)
and maximum export/import limits (MELS, MILS) — the inputs of the acceptance engine."""

from __future__ import annotations

from loaders.datasets.spec import (
    API_DAILY,
    IRIS_DEFAULT,
    AcceptedRange,
    Dataset,
    Envelope,
    Policy,
    TimeParams,
    Unified,
)

# MELS and MILS share one shape (a piecewise-linear MW limit per unit, re-declared with a sequence).
_LIMIT_COLUMNS = (
    "dataset:string settlementDate:date! settlementPeriod:integer! timeFrom:timestamp! "
    "timeTo:timestamp! levelFrom:number! levelTo:number! notificationTime:timestamp! "
    "notificationSequence:integer! nationalGridBmUnit:string! bmUnit:string"
)

BOALF = Dataset(
    name="BOALF",
    description="Bid-offer acceptance levels: each row is one straight-line segment of an acceptance.",
    route="/datasets/BOALF/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string settlementDate:date! settlementPeriodFrom:integer! "
        "settlementPeriodTo:integer! timeFrom:timestamp! timeTo:timestamp! levelFrom:number! "
        "levelTo:number! acceptanceNumber:integer! acceptanceTime:timestamp! "
        "deemedBoFlag:boolean soFlag:boolean storFlag:boolean rrFlag:boolean "
        "amendmentFlag:string nationalGridBmUnit:string bmUnit:string"
    ),
    natural_key=("nationalGridBmUnit", "bmUnit", "acceptanceNumber", "timeFrom"),
    version_columns=("acceptanceTime", "amendmentFlag"),
    window_column="timeFrom",
    bm_unit_column="bmUnit",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    # The amendment flag is not an ordering, so only the acceptance time versions the unified row.
    unified=Unified(versions=("acceptanceTime",), incremental="settlementDate", cluster="bmUnit"),
    column_docs={
        "levelFrom": "Accepted level at time_from (MW).",
        "levelTo": "Accepted level at time_to (MW).",
    },
    quirks=(
        "One acceptance is several rows: one straight-line segment each (timeFrom → timeTo).",
        "The amendment flag (ORI, INS, DEL, ...) is not an ordering: the unified view versions rows by "
        "acceptanceTime only.",
    ),
    key_evidence=(
        "One acceptance is several straight-line segments, so (unit, acceptanceNumber, timeFrom) is one row: "
        "the OpenAPI document's BOALF route filters on TimeFrom and marks timeFrom, acceptanceNumber and "
        "acceptanceTime non-nullable; the acceptance engine (docs/acceptances.md) reads an acceptance's "
        "level q_k(t) from all of its BOALF points, whichever period they are labelled with, so the key "
        "leaves the settlement period out. Both unit ids are kept in the key (docs/acceptances.md: BOALF "
        "always carries both). A re-issued acceptance has a later acceptanceTime, the version; the "
        "amendment flag is carried but is no ordering."
    ),
)

BOD = Dataset(
    name="BOD",
    description="Bid-offer data: per unit, period and pair, the MW band and its offer and bid prices.",
    route="/datasets/BOD/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string settlementDate:date! settlementPeriod:integer! timeFrom:timestamp! "
        "levelFrom:number! timeTo:timestamp! levelTo:number! pairId:integer! offer:number! "
        "bid:number! nationalGridBmUnit:string! bmUnit:string"
    ),
    natural_key=("nationalGridBmUnit", "settlementDate", "settlementPeriod", "pairId", "timeFrom"),
    window_column="timeFrom",
    bm_unit_column="nationalGridBmUnit",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    unified=Unified(
        incremental="settlementDate",
        renames={"offer": "offer_price", "bid": "bid_price"},
        cluster="nationalGridBmUnit",
    ),
    accepted_ranges=(AcceptedRange("pairId", -10, 10),),
    column_docs={
        "levelFrom": "Width of the pair's MW band at time_from (MW; bids negative).",
        "levelTo": "Width of the pair's MW band at time_to (MW; bids negative).",
    },
    quirks=(
        "levelFrom/levelTo are the width of the pair's band, not a cumulative level; bid pairs are negative.",
        "The unified view renames offer/bid to offer_price/bid_price.",
    ),
    key_evidence=(
        "One bid-offer pair's band per unit, period and segment start: the OpenAPI document marks "
        "settlementDate, settlementPeriod, timeFrom, pairId, offer and bid non-nullable and filters on "
        "TimeFrom; docs/acceptances.md builds each pair's width from the period's BOD points, so a pair "
        "has several points per period. No version field: a resubmission before gate closure replaces "
        "the pair, and the API (current state) row wins a tie in the unified view."
    ),
)

PN = Dataset(
    name="PN",
    description="Physical notifications: each unit's piecewise-linear MW profile (FPN at gate closure).",
    route="/datasets/PN/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string settlementDate:date! settlementPeriod:integer! timeFrom:timestamp! "
        "timeTo:timestamp! levelFrom:number! levelTo:number! nationalGridBmUnit:string! "
        "bmUnit:string"
    ),
    natural_key=("nationalGridBmUnit", "settlementDate", "settlementPeriod", "timeFrom"),
    window_column="timeFrom",
    bm_unit_column="nationalGridBmUnit",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    unified=Unified(incremental="settlementDate", cluster="nationalGridBmUnit"),
    column_docs={
        "levelFrom": "Physical notification at time_from (MW).",
        "levelTo": "Physical notification at time_to (MW).",
    },
    key_evidence=(
        'The OpenAPI document: PNs "are submitted as a series of point MW values" per BM unit and '
        "settlement period, with settlementDate, settlementPeriod and timeFrom non-nullable, so one "
        "segment per unit, period and timeFrom. No version field: the final PN at gate closure is what "
        "the API serves (docs/acceptances.md uses it as FPN)."
    ),
)

MELS = Dataset(
    name="MELS",
    description="Maximum export limit declarations (API: resolved position; IRIS: raw re-declarations).",
    route="/datasets/MELS/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=_LIMIT_COLUMNS,
    natural_key=("nationalGridBmUnit", "timeFrom"),
    version_columns=("notificationSequence", "notificationTime"),
    window_column="timeFrom",
    bm_unit_column="nationalGridBmUnit",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    unified=Unified(incremental="settlementDate", cluster="nationalGridBmUnit"),
    column_docs={
        "levelFrom": "Maximum export limit at time_from (MW).",
        "levelTo": "Maximum export limit at time_to (MW).",
    },
    quirks=(
        "The API returns the resolved position; IRIS carries every raw re-declaration (the unified view "
        "keeps the newest by notificationSequence, then notificationTime).",
    ),
    key_evidence=(
        'The OpenAPI document: the MEL is "the maximum power export level of a particular BM Unit at a '
        'particular time", "submitted as a series of MW values and associated times", so one level '
        "segment per unit and timeFrom. Re-declarations for the same time carry a higher "
        "notificationSequence and later notificationTime (both non-nullable), the versions: the API "
        "returns the resolved position, IRIS every raw re-declaration, and the newest wins."
    ),
)

MILS = Dataset(
    name="MILS",
    description="Maximum import limit declarations (API: resolved position; IRIS: raw re-declarations).",
    route="/datasets/MILS/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=_LIMIT_COLUMNS,
    natural_key=("nationalGridBmUnit", "timeFrom"),
    version_columns=("notificationSequence", "notificationTime"),
    window_column="timeFrom",
    bm_unit_column="nationalGridBmUnit",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    unified=Unified(incremental="settlementDate", cluster="nationalGridBmUnit"),
    column_docs={
        "levelFrom": "Maximum import limit at time_from (MW).",
        "levelTo": "Maximum import limit at time_to (MW).",
    },
    quirks=(
        "The API returns the resolved position; IRIS carries every raw re-declaration (the unified view "
        "keeps the newest by notificationSequence, then notificationTime).",
    ),
    key_evidence=(
        'The OpenAPI document: the MIL is "the maximum power import level of a particular BM Unit at a '
        'particular time", "submitted as a series of MW values and associated times", so one level '
        "segment per unit and timeFrom. Re-declarations for the same time carry a higher "
        "notificationSequence and later notificationTime (both non-nullable), the versions: the API "
        "returns the resolved position, IRIS every raw re-declaration, and the newest wins."
    ),
)
