"""The dataset registry: everything the loaders and the dbt sources need to know about a dataset.

Adding a dataset means adding one entry to ``DATASETS`` (plus its staging model). Nothing else in
the loaders branches on dataset names: routes, window sizes, envelopes, keys, versions, column types
and raw-table names all come from here. Facts are from ``docs/elexon_api.md`` (Elexon's OpenAPI
document and observed behaviour of the Insights API).

Column specs are compact strings ``name:type`` with a trailing ``!`` for a field that must be
present and non-null (the spec's non-nullable fields and every natural-key field). Types:
``string``, ``integer``, ``number``, ``boolean``, ``date``, ``timestamp`` (UTC) and ``json``
(nested objects/arrays kept as JSON text).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

COLUMN_TYPES = ("string", "integer", "number", "boolean", "date", "timestamp", "json")

# Metadata columns the loaders add to every raw table (API and IRIS alike, so both share one schema).
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_ingested_at", "timestamp"),  # when the row was committed (UTC)
    ("_source", "string"),  # 'api' | 'iris'
    ("_batch_id", "string"),  # one id per loaded window / IRIS batch
    ("_message_id", "string"),  # IRIS message id (file name); null for API rows
    ("_extra", "json"),  # JSON object of any field the registry does not know yet
)

# Schema (DuckDB) / dataset (BigQuery) of the raw tables; dbt sources read the same variable.
RAW_SCHEMA = os.environ.get("GBPOWER_RAW_SCHEMA", "raw")


class TimeParams(str, Enum):
    """How a route takes its time window."""

    FROM_TO = "from_to"  # ?from=&to= filtering on timeFrom/startTime, inclusive both ends
    SETTLEMENT_RANGE = "settlement_range"  # ?from=D&to=D&settlementPeriodFrom=1&settlementPeriodTo=50
    PUBLISH = "publish"  # ?publishDateTimeFrom=&publishDateTimeTo=
    MEASUREMENT = "measurement"  # ?measurementDateTimeFrom=&measurementDateTimeTo=
    SETTLEMENT_DATE_PATH = "settlement_date_path"  # /…/{settlementDate}
    SNAPSHOT = "snapshot"  # no time parameter: the current list


class Envelope(str, Enum):
    ARRAY = "array"  # bare JSON array (`/stream` routes, reference lists)
    DATA = "data"  # {"data": [...]}
    DATA_METADATA = "data_metadata"  # {"data": [...], "metadata": {...}}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False


def _parse_columns(spec: str) -> tuple[Column, ...]:
    columns = []
    for token in spec.split():
        name, _, type_ = token.partition(":")
        required = type_.endswith("!")
        type_ = type_.rstrip("!")
        if type_ not in COLUMN_TYPES:
            raise ValueError(f"column {name!r}: unknown type {type_!r}")
        columns.append(Column(name, type_, required))
    return tuple(columns)


@dataclass(frozen=True)
class Dataset:
    """One Elexon dataset and how it is fetched, keyed, typed and stored."""

    name: str  # Elexon dataset code, e.g. "BOALF"
    description: str
    route: str  # path under the API base URL; may contain {settlementDate} and {variant}
    time_params: TimeParams
    envelope: Envelope
    columns_spec: str
    natural_key: tuple[str, ...]
    version_columns: tuple[str, ...] = ()
    window_column: str | None = None  # the field the request window filters on
    # Longest window one request may cover. The default (25 h) is one settlement day, even the long
    # autumn clock-change day: the /stream routes have no documented cap.
    max_window: timedelta | None = timedelta(hours=25)
    iris: bool = True  # also arrives on IRIS
    bm_unit_column: str | None = None  # BigQuery clustering
    partition_column: str | None = None  # BigQuery day partitioning (date or timestamp column)
    # Route variants fetched for every window, e.g. BOAV's {variant} = bid|offer. The variant value
    # is stored in `variant_column` (an extra typed column) because the API only puts it in the path.
    variants: tuple[str, ...] = ()
    variant_column: str | None = None
    table_name: str | None = None  # raw table base name; default bmrs_<name lower>
    aliases: tuple[str, ...] = ()
    columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        cols = list(_parse_columns(self.columns_spec))
        if self.variant_column:
            cols.append(Column(self.variant_column, "string", True))
        object.__setattr__(self, "columns", tuple(cols))
        names = {c.name for c in cols}
        for key in (*self.natural_key, *self.version_columns):
            if key not in names:
                raise ValueError(f"{self.name}: key column {key!r} is not a column")
        for col in (self.window_column, self.bm_unit_column, self.partition_column):
            if col and col not in names:
                raise ValueError(f"{self.name}: {col!r} is not a column")

    @property
    def raw_table(self) -> str:
        """Raw table for the historic API, e.g. ``bmrs_boalf`` (in schema ``raw``)."""
        return self.table_name or f"bmrs_{self.name.lower()}"

    @property
    def iris_table(self) -> str:
        """Raw table for IRIS, e.g. ``bmrs_boalf_iris``."""
        return f"{self.raw_table}_iris"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.raw_table, self.iris_table) if self.iris else (self.raw_table,)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def dedupe_key(self) -> tuple[str, ...]:
        """Within one fetched window, rows equal on this key are the same row (keep one)."""
        return (*self.natural_key, *self.version_columns)


def all_columns(dataset: Dataset) -> tuple[tuple[str, str], ...]:
    """(name, type) of every raw-table column: the dataset's fields then the metadata columns."""
    return (*((c.name, c.type) for c in dataset.columns), *METADATA_COLUMNS)


_PAIRS = "pairVolumes:json!"

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
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
        ),
        Dataset(
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
        ),
        Dataset(
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
        ),
        *[
            Dataset(
                name=name,
                description=f"Maximum {kind} limit declarations (API: resolved position; IRIS: raw re-declarations).",
                route=f"/datasets/{name}/stream",
                time_params=TimeParams.FROM_TO,
                envelope=Envelope.ARRAY,
                columns_spec=(
                    "dataset:string settlementDate:date! settlementPeriod:integer! timeFrom:timestamp! "
                    "timeTo:timestamp! levelFrom:number! levelTo:number! notificationTime:timestamp! "
                    "notificationSequence:integer! nationalGridBmUnit:string! bmUnit:string"
                ),
                natural_key=("nationalGridBmUnit", "timeFrom"),
                version_columns=("notificationSequence", "notificationTime"),
                window_column="timeFrom",
                bm_unit_column="nationalGridBmUnit",
                partition_column="settlementDate",
            )
            for name, kind in (("MELS", "export"), ("MILS", "import"))
        ],
        Dataset(
            name="DISEBSP",
            description="System (imbalance) prices per settlement period; the table people call bmrs_costs.",
            route="/balancing/settlement/system-prices/{settlementDate}",
            time_params=TimeParams.SETTLEMENT_DATE_PATH,
            envelope=Envelope.DATA_METADATA,
            columns_spec=(
                "dataset:string settlementDate:date! settlementPeriod:integer! startTime:timestamp! "
                "createdDateTime:timestamp! systemSellPrice:number! systemBuyPrice:number! "
                "bsadDefaulted:boolean priceDerivationCode:string reserveScarcityPrice:number "
                "netImbalanceVolume:number sellPriceAdjustment:number buyPriceAdjustment:number "
                "replacementPrice:number replacementPriceReferenceVolume:number "
                "totalAcceptedOfferVolume:number totalAcceptedBidVolume:number "
                "totalAdjustmentSellVolume:number totalAdjustmentBuyVolume:number "
                "totalSystemTaggedAcceptedOfferVolume:number totalSystemTaggedAcceptedBidVolume:number "
                "totalSystemTaggedAdjustmentSellVolume:number totalSystemTaggedAdjustmentBuyVolume:number"
            ),
            natural_key=("settlementDate", "settlementPeriod"),
            version_columns=("createdDateTime",),
            window_column="settlementDate",
            partition_column="settlementDate",
            aliases=("COSTS", "SYSTEM_PRICES", "BMRS_COSTS"),
        ),
        Dataset(
            name="MID",
            description="Market index data: price and volume per provider (N2EXMIDP, APXMIDP) and period.",
            route="/datasets/MID/stream",
            time_params=TimeParams.FROM_TO,
            envelope=Envelope.ARRAY,
            columns_spec=(
                "dataset:string startTime:timestamp! dataProvider:string! settlementDate:date! "
                "settlementPeriod:integer! price:number! volume:number!"
            ),
            natural_key=("settlementDate", "settlementPeriod", "dataProvider"),
            window_column="startTime",
            partition_column="settlementDate",
        ),
        *[
            Dataset(
                name=name,
                description=f"Generation by fuel type, {res} averages (MW).",
                route=f"/datasets/{name}/stream",
                time_params=TimeParams.PUBLISH,
                envelope=Envelope.ARRAY,
                columns_spec=(
                    "dataset:string publishTime:timestamp! startTime:timestamp! settlementDate:date! "
                    "settlementPeriod:integer! fuelType:string! generation:integer"
                ),
                natural_key=key,
                version_columns=("publishTime",),
                window_column="publishTime",
                partition_column="startTime",
            )
            for name, res, key in (
                ("FUELINST", "5-minute", ("startTime", "fuelType")),
                ("FUELHH", "half-hourly", ("settlementDate", "settlementPeriod", "fuelType")),
            )
        ],
        Dataset(
            name="FREQ",
            description="System frequency (Hz), one spot value every 15 seconds.",
            route="/datasets/FREQ/stream",
            time_params=TimeParams.MEASUREMENT,
            envelope=Envelope.ARRAY,
            columns_spec="dataset:string measurementTime:timestamp! frequency:number!",
            natural_key=("measurementTime",),
            window_column="measurementTime",
            partition_column="measurementTime",
        ),
        Dataset(
            name="REMIT",
            description="REMIT outage and unavailability messages, every revision.",
            route="/datasets/REMIT/stream",
            time_params=TimeParams.PUBLISH,
            envelope=Envelope.ARRAY,
            columns_spec=(
                "dataset:string mrid:string! revisionNumber:integer! publishTime:timestamp! "
                "createdTime:timestamp! messageType:string messageHeading:string eventType:string "
                "unavailabilityType:string participantId:string registrationCode:string assetId:string "
                "assetType:string affectedUnit:string affectedUnitEIC:string affectedArea:string "
                "biddingZone:string fuelType:string normalCapacity:number availableCapacity:number "
                "unavailableCapacity:number eventStatus:string eventStartTime:timestamp! "
                "eventEndTime:timestamp durationUncertainty:string cause:string relatedInformation:string "
                "outageProfile:json"
            ),
            natural_key=("mrid", "revisionNumber"),
            window_column="publishTime",
            # observed: 23 h -> 200, 25 h -> 400 on /datasets/REMIT; stay well under
            max_window=timedelta(hours=12),
            bm_unit_column="affectedUnit",
            partition_column="publishTime",
        ),
        *[
            Dataset(
                name=name,
                description=f"Indicated {field_} forecast per boundary and period (every publish kept).",
                route=f"/datasets/{name}/stream",
                time_params=TimeParams.PUBLISH,
                envelope=Envelope.ARRAY,
                columns_spec=(
                    f"dataset:string {field_}:integer publishTime:timestamp! startTime:timestamp! "
                    "settlementDate:date! settlementPeriod:integer! boundary:string!"
                ),
                natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
                window_column="publishTime",
                partition_column="settlementDate",
            )
            for name, field_ in (("INDGEN", "generation"), ("INDDEM", "demand"))
        ],
        *[
            Dataset(
                name=name,
                description=f"Initial {what} demand outturn per settlement period (MW).",
                route=f"/datasets/{name}",
                time_params=TimeParams.PUBLISH,
                envelope=Envelope.DATA,
                columns_spec=(
                    "dataset:string publishTime:timestamp! startTime:timestamp! settlementDate:date! "
                    "settlementPeriod:integer! demand:integer"
                ),
                natural_key=("settlementDate", "settlementPeriod"),
                version_columns=("publishTime",),
                window_column="publishTime",
                partition_column="settlementDate",
            )
            for name, what in (("INDO", "national"), ("ITSDO", "transmission system"))
        ],
        Dataset(
            name="WINDFOR",
            description="Wind generation forecast (MW), hourly, every publish kept.",
            route="/datasets/WINDFOR/stream",
            time_params=TimeParams.PUBLISH,
            envelope=Envelope.ARRAY,
            columns_spec="dataset:string publishTime:timestamp! startTime:timestamp! generation:integer",
            natural_key=("publishTime", "startTime"),
            window_column="publishTime",
            partition_column="startTime",
        ),
        Dataset(
            name="DISBSAD",
            description="Disaggregated balancing services adjustment actions per period.",
            route="/datasets/DISBSAD/stream",
            time_params=TimeParams.SETTLEMENT_RANGE,
            envelope=Envelope.ARRAY,
            columns_spec=(
                "dataset:string settlementDate:date! settlementPeriod:integer! id:integer! cost:number "
                "volume:number! soFlag:boolean storFlag:boolean partyId:string assetId:string "
                "isTendered:boolean service:string"
            ),
            natural_key=("settlementDate", "settlementPeriod", "id"),
            window_column="settlementDate",
            partition_column="settlementDate",
        ),
        Dataset(
            name="NETBSAD",
            description="Net balancing services adjustment per period.",
            route="/datasets/NETBSAD/stream",
            time_params=TimeParams.SETTLEMENT_RANGE,
            envelope=Envelope.ARRAY,
            columns_spec=(
                "dataset:string settlementDate:date! settlementPeriod:integer! "
                "netBuyPriceCostAdjustmentEnergy:number netBuyPriceVolumeAdjustmentEnergy:number "
                "netBuyPriceVolumeAdjustmentSystem:number buyPricePriceAdjustment:number "
                "netSellPriceCostAdjustmentEnergy:number netSellPriceVolumeAdjustmentEnergy:number "
                "netSellPriceVolumeAdjustmentSystem:number sellPricePriceAdjustment:number"
            ),
            natural_key=("settlementDate", "settlementPeriod"),
            window_column="settlementDate",
            partition_column="settlementDate",
        ),
        Dataset(
            name="BOAV",
            description="Elexon's bid-offer acceptance volumes per acceptance, pair and period (settlement).",
            route="/balancing/settlement/acceptance/volumes/all/{variant}/{settlementDate}",
            time_params=TimeParams.SETTLEMENT_DATE_PATH,
            envelope=Envelope.DATA_METADATA,
            columns_spec=(
                "dataset:string createdDateTime:timestamp! settlementDate:date! settlementPeriod:integer! "
                "startTime:timestamp! bmUnit:string bmUnitType:string leadPartyName:string "
                "nationalGridBmUnit:string acceptanceId:integer! acceptanceDuration:string "
                f"totalVolumeAccepted:number {_PAIRS}"
            ),
            natural_key=(
                "settlementDate",
                "settlementPeriod",
                "bmUnit",
                "nationalGridBmUnit",
                "acceptanceId",
                "bidOffer",
            ),
            version_columns=("createdDateTime",),
            window_column="settlementDate",
            variants=("bid", "offer"),
            variant_column="bidOffer",
            bm_unit_column="bmUnit",
            partition_column="settlementDate",
        ),
        Dataset(
            name="EBOCF",
            description="Elexon's indicative BM unit cashflows per pair and period (settlement).",
            route="/balancing/settlement/indicative/cashflows/all/{variant}/{settlementDate}",
            time_params=TimeParams.SETTLEMENT_DATE_PATH,
            envelope=Envelope.DATA_METADATA,
            columns_spec=(
                "dataset:string settlementDate:date! settlementPeriod:integer! startTime:timestamp! "
                "createdDateTime:timestamp bmUnit:string bmUnitType:string leadPartyName:string "
                "nationalGridBmUnit:string bidOfferPairCashflows:json! totalCashflow:number!"
            ),
            natural_key=("settlementDate", "settlementPeriod", "bmUnit", "nationalGridBmUnit", "bidOffer"),
            version_columns=("createdDateTime",),
            window_column="settlementDate",
            variants=("bid", "offer"),
            variant_column="bidOffer",
            bm_unit_column="bmUnit",
            partition_column="settlementDate",
        ),
        Dataset(
            name="BMUNITS",
            description="BM unit reference list (current snapshot; duplicates exist upstream).",
            route="/reference/bmunits/all",
            time_params=TimeParams.SNAPSHOT,
            envelope=Envelope.ARRAY,
            columns_spec=(
                "nationalGridBmUnit:string elexonBmUnit:string eic:string fuelType:string "
                "leadPartyName:string bmUnitType:string fpnFlag:boolean bmUnitName:string "
                "leadPartyId:string demandCapacity:string generationCapacity:string "
                "productionOrConsumptionFlag:string transmissionLossFactor:string "
                "workingDayCreditAssessmentImportCapability:string "
                "nonWorkingDayCreditAssessmentImportCapability:string "
                "workingDayCreditAssessmentExportCapability:string "
                "nonWorkingDayCreditAssessmentExportCapability:string creditQualifyingStatus:boolean "
                "demandInProductionFlag:boolean gspGroupId:string gspGroupName:string "
                "interconnectorId:string"
            ),
            natural_key=("nationalGridBmUnit", "elexonBmUnit", "eic"),
            window_column=None,
            max_window=None,
            iris=False,
            bm_unit_column="nationalGridBmUnit",
            aliases=("BMUNIT", "BM_UNITS"),
        ),
    ]
}


class UnknownDataset(ValueError):
    pass


def get_dataset(name: str) -> Dataset:
    """Look a dataset up by code or alias, case-insensitively (``boalf``, ``bmrs_costs``)."""
    key = name.strip().upper()
    if key in DATASETS:
        return DATASETS[key]
    for d in DATASETS.values():
        if key in d.aliases or key == d.raw_table.upper() or key == d.iris_table.upper():
            return d
    known = ", ".join(sorted(DATASETS))
    raise UnknownDataset(f"unknown dataset {name!r}; known datasets: {known}")
