"""System-wide data: frequency (FREQ), generation by fuel (FUELINST, FUELHH), forecasts (WINDFOR,
INDGEN, INDDEM) and demand outturn (INDO, ITSDO)."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import (
    API_DAILY,
    IRIS_DEFAULT,
    AcceptedRange,
    Dataset,
    Envelope,
    Policy,
    TimeGaps,
    TimeParams,
    Unified,
    stale_after,
)

# Shared shapes: FUELINST/FUELHH, INDGEN/INDDEM and INDO/ITSDO differ only in key, value field or cadence.
_FUEL_COLUMNS = (
    "dataset:string publishTime:timestamp! startTime:timestamp! settlementDate:date! "
    "settlementPeriod:integer! fuelType:string! generation:integer"
)


def _indicated_columns(value_field: str) -> str:
    return (
        f"dataset:string {value_field}:integer publishTime:timestamp! startTime:timestamp! "
        "settlementDate:date! settlementPeriod:integer! boundary:string!"
    )


_OUTTURN_COLUMNS = (
    "dataset:string publishTime:timestamp! startTime:timestamp! settlementDate:date! "
    "settlementPeriod:integer! demand:integer"
)

FUELINST = Dataset(
    name="FUELINST",
    description="Generation by fuel type, 5-minute averages (MW).",
    route="/datasets/FUELINST/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_FUEL_COLUMNS,
    natural_key=("startTime", "fuelType"),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="startTime",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(minutes=30)),  # published every 5 minutes
    ),
    time_gaps=TimeGaps("startTime", 300),
    column_docs={"generation": "Average generation of the fuel type over 5 minutes (MW)."},
    quirks=("Gaps in the 5-minute series happen upstream too, so dbt's no_time_gaps test only warns.",),
)

FUELHH = Dataset(
    name="FUELHH",
    description="Generation by fuel type, half-hourly averages (MW).",
    route="/datasets/FUELHH/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_FUEL_COLUMNS,
    natural_key=("settlementDate", "settlementPeriod", "fuelType"),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="startTime",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
        every_period=True,
    ),
    column_docs={"generation": "Average generation of the fuel type over the half hour (MW)."},
    quirks=(
        "Fetched by publish time: a period is published when it ends, so the last period of day D arrives in "
        "the window of day D+1 and the edges of each run of loaded days are partial by design.",
    ),
)

FREQ = Dataset(
    name="FREQ",
    description="System frequency (Hz), one spot value every 15 seconds.",
    route="/datasets/FREQ/stream",
    time_params=TimeParams.MEASUREMENT,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string measurementTime:timestamp! frequency:number!",
    natural_key=("measurementTime",),
    window_column="measurementTime",
    partition_column="measurementTime",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(minutes=15)),  # a value every 15 seconds
    ),
    unified=Unified(incremental="measurementTime"),
    accepted_ranges=(AcceptedRange("frequency", 45, 55, severity="error", not_null=True),),
    time_gaps=TimeGaps("measurementTime", 15),
    quirks=("Gaps in the 15-second series happen upstream too, so dbt's no_time_gaps test only warns.",),
)

WINDFOR = Dataset(
    name="WINDFOR",
    description="Wind generation forecast (MW), hourly, every publish kept.",
    route="/datasets/WINDFOR/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! startTime:timestamp! generation:integer",
    natural_key=("publishTime", "startTime"),
    window_column="publishTime",
    partition_column="startTime",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(hours=6)),  # a few forecast runs a day
    ),
    column_docs={
        "generation": "Forecast wind generation (MW).",
        "startTime": "Start of the forecast hour (UTC).",
    },
)

INDGEN = Dataset(
    name="INDGEN",
    description="Indicated generation forecast per boundary and period (every publish kept).",
    route="/datasets/INDGEN/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_indicated_columns("generation"),
    natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={"generation": "Indicated generation forecast (MW)."},
)

INDDEM = Dataset(
    name="INDDEM",
    description="Indicated demand forecast per boundary and period (every publish kept).",
    route="/datasets/INDDEM/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_indicated_columns("demand"),
    natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={"demand": "Indicated demand forecast (MW)."},
)

INDO = Dataset(
    name="INDO",
    description="Initial national demand outturn per settlement period (MW).",
    route="/datasets/INDO",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec=_OUTTURN_COLUMNS,
    natural_key=("settlementDate", "settlementPeriod"),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
        every_period=True,
    ),
    column_docs={"demand": "Initial national demand outturn (MW)."},
    quirks=('No /stream route: /datasets/INDO answers {"data": [...]}.',),
)

ITSDO = Dataset(
    name="ITSDO",
    description="Initial transmission system demand outturn per settlement period (MW).",
    route="/datasets/ITSDO",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec=_OUTTURN_COLUMNS,
    natural_key=("settlementDate", "settlementPeriod"),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
        every_period=True,
    ),
    column_docs={"demand": "Initial transmission system demand outturn (MW)."},
    quirks=('No /stream route: /datasets/ITSDO answers {"data": [...]}.',),
)
