"""BSC party data: trading unit volumes per settlement run (TUDM, SAA report S0491) and credit default
notices from the ECVAA (CDN)."""

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

TUDM = Dataset(
    name="TUDM",
    description="Trading unit data: import, export and net volume per trading unit, period and settlement run.",
    route="/datasets/TUDM/stream",
    time_params=TimeParams.SETTLEMENT_DATE_RANGE,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string serialNumber:string fileCreationTime:timestamp! tradingUnitType:string "
        "tradingUnitName:string! settlementDate:date! settlementPeriod:integer! settlementRunType:string! "
        "startTime:timestamp! deliveryMode:string importVolume:number! exportVolume:number! netVolume:number!"
    ),
    natural_key=("settlementDate", "settlementPeriod", "tradingUnitName", "settlementRunType"),
    version_columns=("fileCreationTime",),
    window_column="settlementDate",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("api_catchup", "api_revisions"),
        # the first (II) run comes about 5 working days after the day: judged on startTime, warn after 10 days
        api_freshness=stale_after(timedelta(days=10)),
        iris_freshness=None,
        revision_days=7,
    ),
    column_docs={
        "serialNumber": "Serial number of the settlement report file the row comes from.",
        "fileCreationTime": "When the settlement report file was created (UTC).",
        "tradingUnitType": "Trading unit type (Base, Sole or Others).",
        "tradingUnitName": "Trading unit name (e.g. DEFAULT__A, a GSP group's base trading unit).",
        "settlementRunType": "Settlement run (II, SF, R1, R2, R3, RF, DF).",
        "deliveryMode": "Offtaking or Delivering: the direction of the net volume.",
        "importVolume": "Import (offtaken) volume of the trading unit in the period (MWh).",
        "exportVolume": "Export (delivered) volume of the trading unit in the period (MWh, negative).",
        "netVolume": "Net volume: import plus export (MWh).",
    },
    quirks=(
        _API_ONLY,
        "Requested per settlement day with settlementDateFrom/To and settlementPeriodFrom/To (all required).",
        "Each settlement run is kept as its own row. Runs arrive from about 5 working days (II) to 14 months "
        "(RF) after the day; the hourly catch-up covers the last 7 days, so later runs need "
        "`gbpower backfill -d TUDM --from … --to …`.",
    ),
    key_evidence=(
        "Elexon's settlement report S0491 gives one row per trading unit, settlement period and settlement run "
        "(settlementRunType is on every item of the OpenAPI document), and later runs restate the same period, "
        "so the run is part of the key: every run is kept, not replaced. A re-issued report of the same run is "
        "newer by fileCreationTime."
    ),
)

CDN = Dataset(
    name="CDN",
    description="Credit default notices from the ECVAA: when a BSC party entered (and cleared) a credit default level.",
    route="/datasets/CDN/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string publishTime:timestamp bscPartyId:string! creditDefaultLevel:integer! "
        "enteredDefaultSettlementDate:date! enteredDefaultSettlementPeriod:integer! "
        "clearedDefaultSettlementDate:date clearedDefaultSettlementPeriod:integer clearedDefaultText:string"
    ),
    natural_key=("bscPartyId", "creditDefaultLevel", "enteredDefaultSettlementDate", "enteredDefaultSettlementPeriod"),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="enteredDefaultSettlementDate",
    aliases=("E0361",),  # Elexon's IRIS timestamp list names it E0361 (Credit Default Notices)
    # event-driven: a few notices a month at most
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=stale_after(timedelta(days=90)),
        iris_freshness=stale_after(timedelta(days=90)),
    ),
    column_docs={
        "bscPartyId": "BSC party the notice is about.",
        "creditDefaultLevel": "Credit default level entered (1 or 2).",
        "enteredDefaultSettlementDate": "Settlement date on which the party entered default.",
        "enteredDefaultSettlementPeriod": "Settlement period in which the party entered default.",
        "clearedDefaultSettlementDate": "Settlement date on which the default was cleared; null while in default.",
        "clearedDefaultSettlementPeriod": "Settlement period in which the default was cleared.",
        "clearedDefaultText": "Reason the default was cleared, as published.",
    },
    quirks=(
        _ON_IRIS,
        "publishTime is nullable in the OpenAPI document; a row without it cannot fall in a publish window and "
        "is counted as outside the window.",
        "Event-driven: freshness (API and IRIS) warns after 90 days without a notice.",
    ),
    key_evidence=(
        "A notice is a party (bscPartyId) entering a default level at a settlement date and period; clearing "
        "it republishes the same notice with the cleared fields filled, so the newest publishTime wins."
    ),
)
