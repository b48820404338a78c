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
    key_evidence=(
        "One 5-minute average per fuel type and startTime; a correction is a later publication of the same "
        "interval, so publishTime is the version (OpenAPI FUELINST row: publishTime, startTime, fuelType)."
    ),
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
    key_evidence=(
        "One half-hourly average per fuel type and settlement period; a later publishTime for the same period "
        "is a correction and wins."
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
    key_evidence=(
        "One spot frequency per measurementTime, every 15 seconds (OpenAPI FREQ row: measurementTime, "
        "frequency); values are never republished, so no version column."
    ),
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
    key_evidence=(
        "Every forecast run is kept: one forecast value per publishTime and forecast hour (startTime), so "
        "both are the key (OpenAPI WINDFOR row: publishTime, startTime, generation)."
    ),
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
    key_evidence=(
        "Every half-hourly forecast run is kept: one value per publishTime, forecast period and boundary "
        "(OpenAPI IndicatedForecast row: publishTime, startTime, settlementDate, settlementPeriod, boundary)."
    ),
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
    key_evidence=(
        "Every half-hourly forecast run is kept: one value per publishTime, forecast period and boundary "
        "(OpenAPI IndicatedForecast row: publishTime, startTime, settlementDate, settlementPeriod, boundary)."
    ),
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
    key_evidence=(
        "One initial demand outturn per settlement period; a later publication of the same period replaces "
        "it, so publishTime is the version (real payload in loaders/samples/real/insights_api_fixtures/)."
    ),
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
    key_evidence=(
        "One initial transmission system demand outturn per settlement period; a later publication replaces "
        "it, so publishTime is the version (real payload in loaders/samples/real/insights_api_fixtures/)."
    ),
)
