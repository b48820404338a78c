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
)
