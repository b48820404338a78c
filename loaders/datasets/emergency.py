"""Emergency measures: demand control instructions (DCI) and, for a black start, the restoration
regions' demand forecasts (RZDF) and restored demand (RZDR) submitted to NESO."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import Dataset, Envelope, Policy, TimeParams, stale_after

_API_ONLY = (
    "Kept current from the API only: Elexon's IRIS timestamp list (elexon-data/insights-docs, "
    "dataset_fields_for_iris_timestamp.md) does not name it; if IRIS ever sends it, its messages "
    "are kept until the entry adds 'iris'."
)
_ON_IRIS = (
    "On IRIS: Elexon's IRIS timestamp list (elexon-data/insights-docs, dataset_fields_for_iris_timestamp.md) "
    "names it; the API catch-up fills what IRIS missed."
)
# Event-driven: months may pass without a demand control instruction or a restoration, so freshness
# only warns after a year without data (an empty table is reported as 'no data loaded').
_RARE_EVENTS = stale_after(timedelta(days=365))
_REGION_DOCS = {
    "submissionDateTime": "When the distribution network operator submitted the figures to NESO (UTC).",
    "region": "Restoration region (North Scotland, South Scotland, North West, North East, Midlands, South West, "
    "South East).",
}

DCI = Dataset(
    name="DCI",
    description="Demand control instructions issued by NESO to distribution network operators (every revision).",
    route="/datasets/DCI/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string mRID:string! revisionNumber:integer! publishTime:timestamp "
        "publishingPeriodCommencingTime:timestamp! affectedDso:string demandControlId:string! "
        "instructionSequence:integer! demandControlEventFlag:string! timeFrom:timestamp! timeTo:timestamp "
        "volume:number! systemManagementActionFlag:string amendmentFlag:string"
    ),
    natural_key=("mRID", "revisionNumber", "demandControlId", "instructionSequence", "timeFrom"),
    window_column="publishTime",
    partition_column="timeFrom",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=_RARE_EVENTS, iris_freshness=_RARE_EVENTS),
    column_docs={
        "mRID": "Id of the demand control message (e.g. DCI_202104300853_00000030); its revisions share it.",
        "publishingPeriodCommencingTime": "Start of the publishing period of the message (UTC).",
        "affectedDso": "Distribution network operator instructed (e.g. SP(D)).",
        "demandControlId": "Id of the demand control event.",
        "instructionSequence": "Sequence number of the instruction within the event.",
        "demandControlEventFlag": "Kind of demand control event (as published, e.g. I).",
        "timeFrom": "Start of the demand control (UTC).",
        "timeTo": "End of the demand control (UTC); null while it is still in force.",
        "volume": "Demand to be controlled (MW).",
        "systemManagementActionFlag": "System management action flag (as published, e.g. T).",
    },
    quirks=(
        _ON_IRIS,
        "Every revision is kept, like REMIT: a message's revisions share its mRID.",
        "publishTime is nullable in the OpenAPI document; a row without it cannot fall in a publish window and "
        "is counted as outside the window.",
        "Event-driven and rare: freshness (API and IRIS) warns only after a year without an instruction.",
    ),
    key_evidence=(
        "Like REMIT, a message is identified by mRID and revisionNumber (both on every item of the OpenAPI "
        "document); one message may instruct several events and steps, so demandControlId and "
        "instructionSequence complete the key, and timeFrom (non-nullable) keeps two steps of one instruction "
        "apart. Every revision is kept (no version column)."
    ),
)

RZDF = Dataset(
    name="RZDF",
    description="Restoration region demand forecast: peak demand at 60 % and 100 % per region and GSP group.",
    route="/datasets/RZDF/stream",
    time_params=TimeParams.SUBMISSION,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string submissionDateTime:timestamp! publishTime:timestamp! settlementDate:date! "
        "region:string! gspGroupId:string! forecastDemand60:integer! forecastDemand100:integer!"
    ),
    natural_key=("settlementDate", "region", "gspGroupId"),
    version_columns=("submissionDateTime", "publishTime"),
    window_column="submissionDateTime",
    partition_column="settlementDate",
    # submitted ahead of each day by the DNOs; the cadence is not documented, so warn after a week
    policy=Policy(upkeep=("api_catchup",), api_freshness=stale_after(timedelta(days=7)), iris_freshness=None),
    column_docs={
        **_REGION_DOCS,
        "settlementDate": "Day the forecast is for.",
        "forecastDemand60": "Forecast peak demand restorable at 60 % (MW).",
        "forecastDemand100": "Forecast peak demand at 100 % (MW).",
    },
    quirks=(
        _API_ONLY,
        "Filtered by submission time (submissionDateTimeFrom/To), not publish time.",
        "The OpenAPI document's examples carry no time zone (2025-01-01T07:01:07); they are read as UTC.",
    ),
    key_evidence=(
        "The OpenAPI document describes forecast peak demand values for each restoration region, filterable "
        "by region and GSP group: one forecast per day (settlementDate), region and GSP group; a later "
        "submission (submissionDateTime, then publishTime) replaces an earlier one."
    ),
)

RZDR = Dataset(
    name="RZDR",
    description="Restoration region demand restored: restored demand per region and GSP group at each submission.",
    route="/datasets/RZDR/stream",
    time_params=TimeParams.SUBMISSION,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string submissionDateTime:timestamp! publishTime:timestamp! region:string! "
        "gspGroupId:string! restoredDemand:integer!"
    ),
    natural_key=("submissionDateTime", "region", "gspGroupId"),
    version_columns=("publishTime",),
    window_column="submissionDateTime",
    partition_column="submissionDateTime",
    policy=Policy(upkeep=("api_catchup",), api_freshness=_RARE_EVENTS, iris_freshness=None),
    column_docs={**_REGION_DOCS, "restoredDemand": "Demand restored in the region and GSP group (MW)."},
    quirks=(
        _API_ONLY,
        "Filtered by submission time (submissionDateTimeFrom/To), not publish time.",
        "Reported during a restoration (or an exercise) only: API freshness warns after a year without data.",
    ),
    key_evidence=(
        "The item has no target date: each submission (submissionDateTime) reports the demand restored so far "
        "per region and GSP group, so the submission time is part of the key; a republished submission is "
        "newer by publishTime."
    ),
)
