"""Demand forecasts and daily outturn: national demand (NDF, NDFD, NDFW) and transmission system demand
(TSDF, TSDFD, TSDFW) forecasts day-ahead, 2-14 days and 2-52 weeks ahead, daily national demand outturn
(INDOD) and the GB temperature (TEMP). The half-hourly outturn (INDO, ITSDO) is in ``system``."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import (
    API_DAILY,
    Dataset,
    Envelope,
    Policy,
    TimeParams,
    stale_after,
)

# Shapes: per settlement period (NDF, TSDF), per day (NDFD, TSDFD) and per week (NDFW, TSDFW).
_PERIOD_COLUMNS = (
    "dataset:string demand:integer publishTime:timestamp! startTime:timestamp! settlementDate:date! "
    "settlementPeriod:integer! boundary:string!"
)
_DAILY_COLUMNS = "dataset:string publishTime:timestamp! forecastDate:date! demand:integer"
_WEEKLY_COLUMNS = "dataset:string publishTime:timestamp! year:integer! week:integer! demand:integer"

# Day-ahead forecasts are re-published several times a day; 2-14 day forecasts daily; weekly ones on Thursdays.
_DAY_AHEAD_POLICY = Policy(
    upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=12))
)
_DAILY_POLICY = Policy(
    upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=30))
)
# a weekly publication: newest publishTime is up to 7 days old by design, in the API and on IRIS alike
_WEEKLY_POLICY = Policy(
    upkeep=("iris", "api_catchup"),
    api_freshness=stale_after(timedelta(days=8)),
    iris_freshness=stale_after(timedelta(days=8)),
)
_FORECAST_KEY = (
    "Every publication is kept: the OpenAPI document says the route returns the latest published forecast "
    "unless publish times are given, so a forecast is identified by its publishTime (non-nullable) and "
    "the forecast target; keeping each publish lets forecast error be measured at any horizon. IRIS "
    "stamps it by publishTime (Elexon insights-docs dataset_fields_for_iris_timestamp.md)."
)

NDF = Dataset(
    name="NDF",
    description="National demand forecast, day and day-ahead, per settlement period (MW; every publish kept).",
    route="/datasets/NDF/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_PERIOD_COLUMNS,
    natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=_DAY_AHEAD_POLICY,
    column_docs={
        "demand": "Forecast national demand (MW): includes transmission losses, excludes interconnector "
        "flows, station transformer and pumped storage demand."
    },
    quirks=("Comparable with INDO (the outturn on the same basis), not with ITSDO.",),
    key_evidence=(
        "NDF is an average MW value for each settlement period (OpenAPI document); the real sample "
        "gridskew_ndf_truncated.json has several publishTimes for the same periods, all with boundary N. "
        + _FORECAST_KEY
    ),
)

TSDF = Dataset(
    name="TSDF",
    description="Transmission system demand forecast, day and day-ahead, per period and boundary (MW; all publishes).",
    route="/datasets/TSDF/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_PERIOD_COLUMNS,
    natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=_DAY_AHEAD_POLICY,
    column_docs={
        "demand": "Forecast transmission system demand (MW): includes interconnector flows, station "
        "transformer and pumped storage demand."
    },
    quirks=(
        "The route takes an optional boundary filter; the loader leaves it out, so every boundary (N and the "
        "zones) is fetched.",
        "Comparable with ITSDO (the outturn on the same basis), not with INDO.",
    ),
    key_evidence=(
        "TSDF is an average MW value per settlement period, and the route has a boundary parameter, so a "
        "period has one value per boundary (OpenAPI document). " + _FORECAST_KEY
    ),
)

NDFD = Dataset(
    name="NDFD",
    description="National demand forecast 2-14 days ahead, one value per day (MW; every publish kept).",
    route="/datasets/NDFD/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_DAILY_COLUMNS,
    natural_key=("publishTime", "forecastDate"),
    window_column="publishTime",
    partition_column="forecastDate",
    policy=_DAILY_POLICY,
    column_docs={
        "forecastDate": "Day the forecast is for.",
        "demand": "Forecast national demand for the day (MW).",
    },
    key_evidence="The item schema has one non-nullable forecastDate per row and no period. " + _FORECAST_KEY,
)

TSDFD = Dataset(
    name="TSDFD",
    description="Transmission system demand forecast 2-14 days ahead, one value per day (MW; every publish kept).",
    route="/datasets/TSDFD/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_DAILY_COLUMNS,
    natural_key=("publishTime", "forecastDate"),
    window_column="publishTime",
    partition_column="forecastDate",
    policy=_DAILY_POLICY,
    column_docs={
        "forecastDate": "Day the forecast is for.",
        "demand": "Forecast transmission system demand of the day (MW).",
    },
    key_evidence="The item schema has one non-nullable forecastDate per row and no period. " + _FORECAST_KEY,
)

NDFW = Dataset(
    name="NDFW",
    description="National demand forecast 2-52 weeks ahead, one value per week (MW; every publish kept).",
    route="/datasets/NDFW/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_WEEKLY_COLUMNS,
    natural_key=("publishTime", "year", "week"),
    window_column="publishTime",
    partition_column="publishTime",
    policy=_WEEKLY_POLICY,
    column_docs={
        "year": "Year of the forecast week.",
        "week": "Week number of the forecast week within year.",
        "demand": "Forecast national demand of the week (MW).",
    },
    quirks=("Published weekly (from 4pm each Thursday), so most days have no rows.",),
    key_evidence=(
        'One value per week: "an average MW value for each week" (OpenAPI document), with year and week '
        "non-nullable. " + _FORECAST_KEY
    ),
)

TSDFW = Dataset(
    name="TSDFW",
    description="Transmission system demand forecast 2-52 weeks ahead, one value per week (MW; every publish kept).",
    route="/datasets/TSDFW/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_WEEKLY_COLUMNS,
    natural_key=("publishTime", "year", "week"),
    window_column="publishTime",
    partition_column="publishTime",
    policy=_WEEKLY_POLICY,
    column_docs={
        "year": "Year of the forecast week.",
        "week": "Week number of the forecast week within year.",
        "demand": "Forecast transmission system demand of the week (MW).",
    },
    quirks=("Published weekly (from 4pm each Thursday), so most days have no rows.",),
    key_evidence=(
        'One value per week: "an average MW value for each week" (OpenAPI document), with year and week '
        "non-nullable. " + _FORECAST_KEY
    ),
)

INDOD = Dataset(
    name="INDOD",
    description="Initial national demand outturn per day (MWh).",
    route="/datasets/INDOD/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! settlementDate:date! demand:integer",
    natural_key=("settlementDate",),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=_DAILY_POLICY,
    column_docs={"demand": "Initial national demand outturn of the day (MWh): half the sum of the day's INDO values."},
    quirks=("Published the day after the settlement day it totals.",),
    key_evidence=(
        'One total per settlement day: "the total demand volume for the previous day ... calculated from '
        'summing the half hourly INDO demands (divided by two to convert to MWh)" (OpenAPI document). A '
        "re-publication of the same day has a later publishTime (non-nullable), the version; IRIS stamps "
        "INDOD by publishTime (Elexon insights-docs)."
    ),
)

TEMP = Dataset(
    name="TEMP",
    description="GB temperature: the average of six weather stations at midday, per day (°C).",
    route="/datasets/TEMP",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec="dataset:string measurementDate:date! publishTime:timestamp! temperature:number",
    natural_key=("measurementDate",),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="measurementDate",
    policy=_DAILY_POLICY,
    column_docs={
        "measurementDate": "Day the temperature was measured (at midday).",
        "temperature": "Average temperature at midday over six GB weather stations (°C).",
    },
    quirks=('No /stream route: /datasets/TEMP answers {"data": [...]}; without publish times it returns 31 days.',),
    key_evidence=(
        'One value per day: "the average degree celsius value measured at midday deemed to be representative '
        'of the temperature for Great Britain" (OpenAPI document), measurementDate non-nullable. A '
        "re-publication has a later publishTime, the version; IRIS stamps TEMP by publishTime (Elexon insights-docs)."
    ),
)
