"""Generation outturn and forecasts: metered output per BM unit (B1610), generation per production
type (AGPT / B1620), wind and solar outturn (AGWS / B1630) and day-ahead wind and solar (DGWS / B1440)."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import (
    API_DAILY,
    Dataset,
    Envelope,
    Policy,
    TimeParams,
    Unified,
    stale_after,
)

# The three transparency (B16xx/B14xx) datasets share one item shape; DGWS adds processType.
_TRANSPARENCY_DOCS = {
    "documentId": "Id of the transparency document the row was published in.",
    "documentRevisionNumber": "Revision of the transparency document; higher is newer.",
    "businessType": "Business type of the document (e.g. Production, Solar generation, Wind generation).",
    "psrType": "Power system resource (production) type, as in Commission Regulation (EU) 543/2013 "
    "(e.g. Solar, Wind Onshore, Wind Offshore, Fossil Gas, Nuclear).",
    "quantity": "Generation of the production type over the settlement period (MW).",
}


def _transparency_columns(extra: str = "") -> str:
    return (
        "dataset:string documentId:string documentRevisionNumber:integer! publishTime:timestamp! "
        f"{extra}businessType:string psrType:string! quantity:number! startTime:timestamp! "
        "settlementDate:date! settlementPeriod:integer!"
    )


B1610 = Dataset(
    name="B1610",
    description="Actual metered output per BM unit and settlement period (MWh), revised by later settlement runs.",
    route="/datasets/B1610/stream",
    time_params=TimeParams.SETTLEMENT_RANGE,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string psrType:string bmUnit:string nationalGridBmUnitId:string! settlementDate:date! "
        "settlementPeriod:integer! halfHourEndTime:timestamp! quantity:number!"
    ),
    natural_key=("nationalGridBmUnitId", "settlementDate", "settlementPeriod"),
    window_column="settlementDate",
    bm_unit_column="nationalGridBmUnitId",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("api_catchup", "api_revisions"),
        # the API catch-up looks back 7 days: every one of them is re-loaded, so the II run (published
        # five working days after the day) replaces the empty or earlier load
        revision_days=7,
        # the newest settlement date is 5 working days old at best (longer over bank holidays)
        api_freshness=stale_after(timedelta(days=9)),
        iris_freshness=None,
    ),
    column_docs={
        "psrType": "Kind of BM unit the output is for (Generation, or Demand for units that import).",
        "nationalGridBmUnitId": "BM unit id as used by National Grid ESO (e.g. DRAXX-1); B1610's name for "
        "nationalGridBmUnit.",
        "halfHourEndTime": "End of the settlement period (UTC).",
        "quantity": "Metered volume of the BM unit in the settlement period (MWh; negative for import).",
    },
    quirks=(
        "The unit field is nationalGridBmUnitId, not nationalGridBmUnit as in the BM datasets.",
        "quantity is energy (MWh per half hour), not power: twice it is the period's mean MW.",
        "Live payloads carry settlementRunType (II, SF, R1, ...), which the OpenAPI document does not "
        "list: it is kept in _extra.",
        "The API serves only the latest settlement run; the catch-up re-loads the last 7 days, so a run "
        "published later (SF at about 16 working days, R1..RF) lands only by an explicit "
        "`gbpower backfill --force` of those days.",
        "Not on IRIS (absent from Elexon's IRIS dataset list): API only, so there is no IRIS table; its "
        "unified view (bmrs_b1610_unified) reads the API table alone and keeps one row per natural key.",
    ),
    key_evidence=(
        "One metered volume per BM unit and settlement period: the OpenAPI document describes B1610 as "
        '"the actual metered volume output (MWh) per Settlement Period for all BM units" and marks '
        "settlementDate, settlementPeriod, halfHourEndTime and quantity non-nullable; the real sample "
        "(gridskew_b1610_stream.json) has one row per unit and period. There is no version field in the "
        'schema: "the data is refreshed by subsequent Settlement Runs", i.e. the API replaces the value, '
        "and an API re-load replaces the window, so the newest load is the newest run."
    ),
)

AGPT = Dataset(
    name="AGPT",
    description="Actual generation per production type (B1620), per settlement period (MW).",
    route="/datasets/AGPT/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_transparency_columns(),
    natural_key=("settlementDate", "settlementPeriod", "psrType"),
    version_columns=("publishTime", "documentRevisionNumber"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        # published per settlement period, often an hour or more after it ends
        iris_freshness=stale_after(timedelta(hours=3)),
    ),
    unified=Unified(incremental="settlementDate"),
    column_docs=_TRANSPARENCY_DOCS,
    quirks=(
        "Production types are the EU transparency (ENTSO-E) categories, not FUELHH's fuel types: the two "
        "sources differ in coverage (AGPT includes embedded solar and wind estimates) and do not add up exactly.",
        "Fetched by publish time, like FUELHH: the edges of each run of loaded days are partial by design.",
    ),
    key_evidence=(
        "One value per settlement period and production type: the OpenAPI document describes AGPT as "
        '"actual generation data per settlement period aggregated by Power System Resource type". A '
        "correction is a new publication of the document (documentRevisionNumber, non-nullable, and a new "
        "publishTime), so the newest publishTime, then revision, wins; IRIS stamps AGPT by publishTime "
        "(Elexon, insights-docs dataset_fields_for_iris_timestamp.md)."
    ),
)

AGWS = Dataset(
    name="AGWS",
    description="Actual or estimated wind and solar generation (B1630), per settlement period (MW).",
    route="/datasets/AGWS/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_transparency_columns(),
    natural_key=("settlementDate", "settlementPeriod", "psrType"),
    version_columns=("publishTime", "documentRevisionNumber"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(hours=3)),
    ),
    unified=Unified(incremental="settlementDate"),
    column_docs=_TRANSPARENCY_DOCS,
    quirks=("Three production types only: Solar, Wind Onshore and Wind Offshore.",),
    key_evidence=(
        "The OpenAPI document: AGWS gives generation per settlement period with Power System Resource type "
        '"Solar, Wind Onshore or Wind Offshore", so (settlementDate, settlementPeriod, psrType) is one value. '
        "Re-publications carry a new publishTime and documentRevisionNumber (non-nullable), the version "
        "order; IRIS stamps AGWS by publishTime (Elexon insights-docs)."
    ),
)

DGWS = Dataset(
    name="DGWS",
    description="Day-ahead (and intraday) wind and solar generation forecast (B1440), per period (MW).",
    route="/datasets/DGWS/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_transparency_columns("processType:string! "),
    natural_key=("processType", "settlementDate", "settlementPeriod", "psrType"),
    version_columns=("publishTime", "documentRevisionNumber"),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        # a few forecast runs a day
        iris_freshness=stale_after(timedelta(hours=12)),
    ),
    unified=Unified(incremental="settlementDate"),
    column_docs={
        **_TRANSPARENCY_DOCS,
        "processType": "Forecast process (e.g. Day Ahead, Intraday).",
        "quantity": "Forecast generation of the production type over the settlement period (MW).",
    },
    quirks=(
        "The unified view keeps the newest forecast per process type; earlier publications stay in the raw tables.",
    ),
    key_evidence=(
        "The OpenAPI document describes DGWS as day-ahead generation for wind and solar per settlement "
        "period; its item schema has a processType next to psrType, so one period has one value per "
        "process and production type. A later publication (publishTime, documentRevisionNumber) "
        "supersedes an earlier one of the same process; IRIS stamps DGWS by publishTime (Elexon insights-docs)."
    ),
)
