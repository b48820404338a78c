"""Total load per bidding zone — the outturn (ATL, B0610) and its day-, week-, month- and year-ahead
forecasts (DATL, WATL, MATL, YATL: B0620..B0650) — the year-ahead forecast margin (YAFM, B0810) and
the day-ahead aggregated generation forecast (DAG, B1430).

All are ENTSO-E transparency (EMFIP) documents: ``documentId`` names the document and
``documentRevisionNumber`` counts its revisions. Each dataset has one value (or one min/max pair)
per time unit for the GB bidding zone, so the key is the time unit the row describes and the versions
are ``publishTime`` then ``documentRevisionNumber``: the newest forecast for a period wins in a
"latest" reading, while the raw table keeps every publication (so forecast error by horizon can be
measured).
"""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import API_DAILY, IRIS_DEFAULT, Dataset, Envelope, Policy, TimeParams, stale_after

_VERSIONS = ("publishTime", "documentRevisionNumber")
_DOCUMENT = "dataset:string documentId:string documentRevisionNumber:integer! publishTime:timestamp!"
_PER_PERIOD = f"{_DOCUMENT} startTime:timestamp! settlementDate:date! settlementPeriod:integer! quantity:number!"
_MIN_MAX = "minimumPossible:number! maximumAvailable:number!"
_MIN_MAX_DOCS = {
    "minimumPossible": "Forecast minimum possible total load over the time unit (MW).",
    "maximumAvailable": "Forecast maximum available total load over the time unit (MW).",
}
_ON_IRIS = (
    "On IRIS: Elexon's IRIS timestamp list (elexon-data/insights-docs, dataset_fields_for_iris_timestamp.md) "
    "names it; the API catch-up fills what IRIS missed."
)
_PERIOD_KEY_EVIDENCE = (
    "The OpenAPI document's item is one quantity per settlement period (settlementDate, settlementPeriod, "
    "startTime) for the GB bidding zone, with no other identifying field, so the period is the key; "
    "re-publications and document revisions are ordered by publishTime then documentRevisionNumber."
)

ATL = Dataset(
    name="ATL",
    description="Actual total load per bidding zone (B0610), MW per settlement period.",
    route="/datasets/ATL/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_PER_PERIOD,
    natural_key=("settlementDate", "settlementPeriod"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={"quantity": "Actual total load of the GB bidding zone over the period (MW)."},
    quirks=(_ON_IRIS,),
    key_evidence=_PERIOD_KEY_EVIDENCE,
)

DATL = Dataset(
    name="DATL",
    description="Day-ahead total load forecast per bidding zone (B0620), MW per settlement period.",
    route="/datasets/DATL/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_PER_PERIOD,
    natural_key=("settlementDate", "settlementPeriod"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=36))
    ),
    column_docs={"quantity": "Day-ahead forecast of the GB bidding zone's total load over the period (MW)."},
    quirks=(_ON_IRIS, "Fetched by publish time: a day's forecast lands in the window of the day before it."),
    key_evidence=_PERIOD_KEY_EVIDENCE,
)

DAG = Dataset(
    name="DAG",
    description="Day-ahead aggregated generation forecast (B1430), MW per settlement period.",
    route="/datasets/DAG/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_PER_PERIOD,
    natural_key=("settlementDate", "settlementPeriod"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=36))
    ),
    column_docs={"quantity": "Day-ahead forecast of aggregated GB generation over the period (MW)."},
    quirks=(_ON_IRIS, "Fetched by publish time: a day's forecast lands in the window of the day before it."),
    key_evidence=_PERIOD_KEY_EVIDENCE,
)

WATL = Dataset(
    name="WATL",
    description="Week-ahead total load forecast per bidding zone (B0630): daily minimum and maximum (MW).",
    route="/datasets/WATL/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=f"{_DOCUMENT} forecastDate:date! forecastWeek:integer! {_MIN_MAX}",
    natural_key=("forecastDate",),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="forecastDate",
    # published once a week
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=stale_after(timedelta(days=10)),
        iris_freshness=stale_after(timedelta(days=10)),
    ),
    column_docs={
        "forecastDate": "Day the forecast is for.",
        "forecastWeek": "Week number of the forecast day.",
        **_MIN_MAX_DOCS,
    },
    quirks=(_ON_IRIS, "Published weekly: freshness (API and IRIS) warns after 10 days without a new publication."),
    key_evidence=(
        "The OpenAPI document's item is one minimum/maximum pair per forecast day (forecastDate; "
        "forecastWeek is the week it falls in), so the day is the key; later publications of the same day "
        "are ordered by publishTime then documentRevisionNumber."
    ),
)

MATL = Dataset(
    name="MATL",
    description="Month-ahead total load forecast per bidding zone (B0640): weekly minimum and maximum (MW).",
    route="/datasets/MATL/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} forecastWeekCommencingDate:date! forecastYear:integer! forecastMonth:string! {_MIN_MAX}"
    ),
    natural_key=("forecastYear", "forecastMonth", "forecastWeekCommencingDate"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="forecastWeekCommencingDate",
    # published once a month
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=stale_after(timedelta(days=45)),
        iris_freshness=stale_after(timedelta(days=45)),
    ),
    column_docs={
        "forecastWeekCommencingDate": "First day of the forecast week.",
        "forecastYear": "Year of the forecast month.",
        "forecastMonth": "Forecast month (three-letter upper-case abbreviation, e.g. JUN).",
        **_MIN_MAX_DOCS,
    },
    quirks=(_ON_IRIS, "Published monthly: freshness (API and IRIS) warns after 45 days without a new publication."),
    key_evidence=(
        "The OpenAPI document's item is one minimum/maximum pair per week (forecastWeekCommencingDate) of a "
        "forecast month (forecastYear, forecastMonth); a week straddling two months appears in both months' "
        "forecasts, so the month is part of the key. Revisions ordered by publishTime then "
        "documentRevisionNumber."
    ),
)

YATL = Dataset(
    name="YATL",
    description="Year-ahead total load forecast per bidding zone (B0650): weekly minimum and maximum (MW).",
    route="/datasets/YATL/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=f"{_DOCUMENT} forecastYear:integer! forecastWeek:integer! {_MIN_MAX}",
    natural_key=("forecastYear", "forecastWeek"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="publishTime",
    # published about once a year
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=stale_after(timedelta(days=400)),
        iris_freshness=stale_after(timedelta(days=400)),
    ),
    column_docs={
        "forecastYear": "Year the forecast is for.",
        "forecastWeek": "Week of the forecast year.",
        **_MIN_MAX_DOCS,
    },
    quirks=(_ON_IRIS, "Published about once a year: freshness (API and IRIS) warns after 400 days."),
    key_evidence=(
        "The OpenAPI document's item is one minimum/maximum pair per week (forecastWeek) of the forecast "
        "year; revisions ordered by publishTime then documentRevisionNumber."
    ),
)

YAFM = Dataset(
    name="YAFM",
    description="Year-ahead forecast margin (B0810): available generation capacity minus forecast load, per year.",
    route="/datasets/YAFM/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=f"{_DOCUMENT} businessType:string! year:integer! quantity:number!",
    natural_key=("year", "businessType"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="publishTime",
    # published about once a year
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=stale_after(timedelta(days=400)),
        iris_freshness=stale_after(timedelta(days=400)),
    ),
    column_docs={
        "businessType": "Kind of margin (e.g. Positive forecast margin).",
        "year": "Year the margin is forecast for.",
        "quantity": "Forecast margin (MW).",
    },
    quirks=(_ON_IRIS, "Published about once a year: freshness (API and IRIS) warns after 400 days."),
    key_evidence=(
        "The OpenAPI document describes the margin as one yearly figure (year) per kind (businessType, "
        "e.g. Positive forecast margin); revisions ordered by publishTime then documentRevisionNumber."
    ),
)
