"""Forward availability (output usable) and margin forecasts: by BM unit (UOU2T14D, UOU2T3YW), by
fuel type (FOU2T14D, FOU2T3YW), national (NOU2T14D, NOU2T3YW), and the demand surplus/margin
forecasts (OCNMFD, OCNMFD2, OCNMF3Y, OCNMF3Y2).

Every publication is a whole forecast and every publication is kept, so each key starts with
``publishTime`` (the routes filter on publishDateTimeFrom/To). IRIS carries all ten (Elexon,
insights-docs ``docs/dataset_fields_for_iris_timestamp.md``, under ``publishTime``).

OCNMFW and OCNMFW2 (2-52 weeks ahead surplus/margin) are not registered: the OpenAPI document has no
``/datasets/OCNMFW*`` route; its ``/forecast/surplus|margin/weekly`` routes serve them together with
OCNMF3Y/OCNMF3Y2, whose 2-156 week horizon covers the same weeks.
"""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import API_DAILY, Dataset, Envelope, Policy, TimeParams, stale_after

# Daily forecasts (2-14 days ahead) are published at least once a day; the weekly ones (2-156 weeks
# ahead) once a week.
_DAILY = Policy(
    upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=30))
)
_WEEKLY = Policy(
    upkeep=("iris", "api_catchup"),
    api_freshness=stale_after(timedelta(days=8)),
    iris_freshness=stale_after(timedelta(days=8)),
)
# The OCNMF* forecasts are "received hourly from NGESO" (OpenAPI descriptions).
_HOURLY = Policy(
    upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=3))
)
_SEVEN_DAYS = timedelta(days=7)  # "maximum data output range of 7 days" (OpenAPI, OCNMF*)

_DOCS = {
    "publishTime": "When this forecast was published (UTC).",
    "forecastDate": "Day the forecast is for (Europe/London local date).",
    "week": "Week the forecast is for (week number within `year`).",
    "calendarWeekNumber": "Week the forecast is for (calendar week number within `year`).",
    "year": "Year of the forecast week.",
    "outputUsable": "Output usable (OU): forecast available generation/interconnector capacity, planned "
    "outages accounted for (MW).",
    "systemZone": "System zone of the forecast, where given.",
    "forecastDateTimezone": "Time zone the forecast date is expressed in.",
    "interconnectorName": "Interconnector name, for interconnector rows.",
    "interconnector": "The row is an interconnector's availability rather than a fuel type's.",
    "surplus": "Generating plant demand surplus: the daily/weekly peak half-hour value (MW).",
    "margin": "Generating plant demand margin: the daily/weekly peak half-hour value (MW).",
}

_BMU = "dataset:string fuelType:string nationalGridBmUnit:string! bmUnit:string publishTime:timestamp! "
_FUEL = "dataset:string fuelType:string! publishTime:timestamp! systemZone:string "
_FUEL_TAIL = "outputUsable:integer biddingZone:string interconnectorName:string interconnector:boolean!"
_NATIONAL = "dataset:string publishTime:timestamp! systemZone:string "


def _docs(columns: str) -> dict[str, str]:
    names = {token.split(":", 1)[0] for token in columns.split()}
    return {k: v for k, v in _DOCS.items() if k in names}


_UOU2T14D_COLUMNS = _BMU + "forecastDate:date! outputUsable:integer"
UOU2T14D = Dataset(
    name="UOU2T14D",
    description="Availability (output usable) per BM unit, 2 to 14 days ahead (MW; every publish kept).",
    route="/datasets/UOU2T14D/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_UOU2T14D_COLUMNS,
    natural_key=("publishTime", "nationalGridBmUnit", "forecastDate"),
    window_column="publishTime",
    bm_unit_column="nationalGridBmUnit",
    partition_column="forecastDate",
    policy=_DAILY,
    column_docs=_docs(_UOU2T14D_COLUMNS),
    key_evidence=(
        "'aggregated by National Grid Balancing Mechanism Units (NGC BMUs)' (OpenAPI description): one value "
        "per NGC BM unit and forecast day in each publication, so the key is publishTime + nationalGridBmUnit "
        "+ forecastDate (the Elexon bmUnit is a mapping that may be missing)."
    ),
)

_UOU2T3YW_COLUMNS = _BMU + "week:integer! year:integer! outputUsable:integer"
UOU2T3YW = Dataset(
    name="UOU2T3YW",
    description="Availability (output usable) per BM unit, 2 to 156 weeks ahead (MW; every publish kept).",
    route="/datasets/UOU2T3YW/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_UOU2T3YW_COLUMNS,
    natural_key=("publishTime", "nationalGridBmUnit", "year", "week"),
    window_column="publishTime",
    bm_unit_column="nationalGridBmUnit",
    partition_column="publishTime",
    policy=_WEEKLY,
    column_docs=_docs(_UOU2T3YW_COLUMNS),
    quirks=("Limited to 100 requests per minute (OpenAPI description).",),
    key_evidence=(
        "As UOU2T14D but weekly: one value per NGC BM unit and (year, week) in each publication (OpenAPI "
        "AvailabilityByBmUnitWeekly: week and year are non-nullable)."
    ),
)

_FOU2T14D_COLUMNS = _FUEL + "forecastDate:date! forecastDateTimezone:string " + _FUEL_TAIL
FOU2T14D = Dataset(
    name="FOU2T14D",
    description="Availability (output usable) per fuel type, 2 to 14 days ahead (MW; every publish kept).",
    route="/datasets/FOU2T14D",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec=_FOU2T14D_COLUMNS,
    natural_key=("publishTime", "fuelType", "forecastDate"),
    window_column="publishTime",
    partition_column="forecastDate",
    policy=_DAILY,
    column_docs=_docs(_FOU2T14D_COLUMNS),
    quirks=('No /stream route: fetched from /datasets/FOU2T14D ({"data": [...]}).',),
    key_evidence=(
        "'aggregated by Fuel Types categories' (OpenAPI description): one value per fuel type and forecast day "
        "in each publication; interconnectors are separate fuel types (INTFR, INTNED, ... as in FUELHH)."
    ),
)

_FOU2T3YW_COLUMNS = _FUEL + "calendarWeekNumber:integer! year:integer! " + _FUEL_TAIL
FOU2T3YW = Dataset(
    name="FOU2T3YW",
    description="Availability (output usable) per fuel type, 2 to 156 weeks ahead (MW; every publish kept).",
    route="/datasets/FOU2T3YW",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec=_FOU2T3YW_COLUMNS,
    natural_key=("publishTime", "fuelType", "year", "calendarWeekNumber"),
    window_column="publishTime",
    partition_column="publishTime",
    policy=_WEEKLY,
    column_docs=_docs(_FOU2T3YW_COLUMNS),
    quirks=('No /stream route: fetched from /datasets/FOU2T3YW ({"data": [...]}).',),
    key_evidence=(
        "As FOU2T14D but weekly: one value per fuel type and (year, calendarWeekNumber) in each publication "
        "(OpenAPI AvailabilityByFuelTypeWeekly: both non-nullable)."
    ),
)

_NOU2T14D_COLUMNS = _NATIONAL + "forecastDate:date! forecastDateTimezone:string outputUsable:integer"
NOU2T14D = Dataset(
    name="NOU2T14D",
    description="National availability (output usable), 2 to 14 days ahead (MW; every publish kept).",
    route="/datasets/NOU2T14D",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec=_NOU2T14D_COLUMNS,
    natural_key=("publishTime", "forecastDate"),
    window_column="publishTime",
    partition_column="forecastDate",
    policy=_DAILY,
    column_docs=_docs(_NOU2T14D_COLUMNS),
    quirks=('No /stream route: fetched from /datasets/NOU2T14D ({"data": [...]}).',),
    key_evidence=(
        "'aggregated at national level' (OpenAPI description): one value per forecast day in each publication."
    ),
)

_NOU2T3YW_COLUMNS = _NATIONAL + "calendarWeekNumber:integer! year:integer! outputUsable:integer"
NOU2T3YW = Dataset(
    name="NOU2T3YW",
    description="National availability (output usable), 2 to 156 weeks ahead (MW; every publish kept).",
    route="/datasets/NOU2T3YW",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.DATA,
    columns_spec=_NOU2T3YW_COLUMNS,
    natural_key=("publishTime", "year", "calendarWeekNumber"),
    window_column="publishTime",
    partition_column="publishTime",
    policy=_WEEKLY,
    column_docs=_docs(_NOU2T3YW_COLUMNS),
    quirks=('No /stream route: fetched from /datasets/NOU2T3YW ({"data": [...]}).',),
    key_evidence=(
        "'an aggregation of all Fuel Type categories at national level' (OpenAPI description): one value per "
        "(year, calendarWeekNumber) in each publication."
    ),
)


OCNMFD = Dataset(
    name="OCNMFD",
    description="Daily peak demand surplus forecast, 2 to 14 days ahead (MW; every publish kept).",
    route="/datasets/OCNMFD/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! forecastDate:date! surplus:integer",
    natural_key=("publishTime", "forecastDate"),
    window_column="publishTime",
    max_window=_SEVEN_DAYS,
    partition_column="forecastDate",
    policy=_HOURLY,
    column_docs=_docs("dataset:string publishTime:timestamp! forecastDate:date! surplus:integer"),
    key_evidence=(
        "'the daily peak half hour MW value of generating plant demand surplus for each day' (OpenAPI "
        "description): one value per forecast day in each hourly publication."
    ),
)

OCNMFD2 = Dataset(
    name="OCNMFD2",
    description="Daily peak demand margin forecast, 2 to 14 days ahead (MW; every publish kept).",
    route="/datasets/OCNMFD2/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! forecastDate:date! margin:integer",
    natural_key=("publishTime", "forecastDate"),
    window_column="publishTime",
    max_window=_SEVEN_DAYS,
    partition_column="forecastDate",
    policy=_HOURLY,
    column_docs=_docs("dataset:string publishTime:timestamp! forecastDate:date! margin:integer"),
    key_evidence=(
        "'the daily peak half hour MW value of generating plant demand margin for each day' (OpenAPI "
        "description): one value per forecast day in each hourly publication."
    ),
)

OCNMF3Y = Dataset(
    name="OCNMF3Y",
    description="Weekly peak demand surplus forecast, 2 to 156 weeks ahead (MW; every publish kept).",
    route="/datasets/OCNMF3Y/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! week:integer! year:integer! surplus:integer",
    natural_key=("publishTime", "year", "week"),
    window_column="publishTime",
    max_window=_SEVEN_DAYS,
    partition_column="publishTime",
    policy=_HOURLY,
    column_docs=_docs("dataset:string publishTime:timestamp! week:integer! year:integer! surplus:integer"),
    key_evidence=(
        "'the weekly peak half hour MW value of generating plant demand surplus' (OpenAPI description): one "
        "value per (year, week) in each publication."
    ),
)

OCNMF3Y2 = Dataset(
    name="OCNMF3Y2",
    description="Weekly peak demand margin forecast, 2 to 156 weeks ahead (MW; every publish kept).",
    route="/datasets/OCNMF3Y2/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! week:integer! year:integer! margin:integer",
    natural_key=("publishTime", "year", "week"),
    window_column="publishTime",
    max_window=_SEVEN_DAYS,
    partition_column="publishTime",
    policy=_HOURLY,
    column_docs=_docs("dataset:string publishTime:timestamp! week:integer! year:integer! margin:integer"),
    key_evidence=(
        "'the weekly peak half hour MW value of generating plant demand margin' (OpenAPI description): one "
        "value per (year, week) in each publication."
    ),
)
