"""Data from the system operator (NGESO): indicated imbalance and margin (IMBALNGC, MELNGC), loss of
load probability (LOLPDRM), system warnings (SYSWARN), SO-SO trades (SOSO), non-BM STOR (NONBM) and
balancing services volume (QAS).

IRIS carries all seven (Elexon, insights-docs ``docs/dataset_fields_for_iris_timestamp.md``: IMBALNGC,
MELNGC, LOLPDM, SYS_WARN, SOSO and NONBM under ``publishTime``, QAS under ``settlementDate``).
"""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import (
    API_DAILY,
    IRIS_DEFAULT,
    Dataset,
    Envelope,
    Policy,
    TimeParams,
    stale_after,
)


def _indicated_columns(value_field: str) -> str:
    return (
        f"dataset:string {value_field}:integer publishTime:timestamp! startTime:timestamp! "
        "settlementDate:date! settlementPeriod:integer! boundary:string!"
    )


_INDICATED_EVIDENCE = (
    "Like INDGEN/INDDEM: every half-hourly forecast run is kept, so the key is the publish time plus the "
    "forecast period and boundary (the OpenAPI IndicatedForecast rows carry publishTime, startTime, "
    "settlementDate, settlementPeriod and boundary, and the route filters on publishDateTimeFrom/To)."
)

IMBALNGC = Dataset(
    name="IMBALNGC",
    description="Indicated imbalance forecast per boundary and period (MW; every publish kept).",
    route="/datasets/IMBALNGC/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_indicated_columns("imbalance"),
    natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
    window_column="publishTime",
    max_window=timedelta(days=1),  # "maximum data output range of 1 day" (OpenAPI description)
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={
        "imbalance": "Indicated imbalance: indicated generation (sum of generating units' PNs) minus the "
        "transmission system demand forecast (MW, average over the period).",
        "startTime": "Start of the forecast settlement period (UTC).",
    },
    key_evidence=_INDICATED_EVIDENCE,
)

MELNGC = Dataset(
    name="MELNGC",
    description="Indicated margin forecast per boundary and period (MW; every publish kept).",
    route="/datasets/MELNGC/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=_indicated_columns("margin"),
    natural_key=("publishTime", "settlementDate", "settlementPeriod", "boundary"),
    window_column="publishTime",
    max_window=timedelta(days=1),  # "maximum data output range of 1 day" (OpenAPI description)
    partition_column="settlementDate",
    # "Data is received every half an hour from NGESO" (OpenAPI description)
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={
        "margin": "Indicated margin: sum of the MELs submitted for the period minus the national demand "
        "forecast (MW, average over the period).",
        "startTime": "Start of the forecast settlement period (UTC).",
    },
    key_evidence=_INDICATED_EVIDENCE,
)

LOLPDRM = Dataset(
    name="LOLPDRM",
    description="Loss of load probability and de-rated margin per period (every publish kept).",
    route="/datasets/LOLPDRM/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string publishTime:timestamp! publishingPeriodCommencingTime:timestamp! startTime:timestamp! "
        "settlementDate:date! settlementPeriod:integer! lossOfLoadProbability:number deratedMargin:number"
    ),
    natural_key=("publishTime", "settlementDate", "settlementPeriod"),
    window_column="publishTime",
    partition_column="settlementDate",
    aliases=("LOLPDM",),  # Elexon's IRIS timestamp list names it LOLPDM
    # "received half-hourly from NGESO" (OpenAPI description)
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={
        "publishingPeriodCommencingTime": "Start of the publishing period the forecast run belongs to (UTC).",
        "startTime": "Start of the forecast settlement period (UTC).",
        "lossOfLoadProbability": "Loss of load probability for the period (0..1), NGESO's LoLP "
        "Calculation Statement methodology.",
        "deratedMargin": "De-rated margin: forecast excess supply adjusted for the likely availability of "
        "generators (MW).",
    },
    key_evidence=(
        "Each half-hourly run forecasts several periods ahead and every run is kept, so the key is the "
        "publish time plus the settlement period (the OpenAPI row has publishTime, startTime, settlementDate "
        "and settlementPeriod, all non-nullable; the route filters on publish time)."
    ),
)

SYSWARN = Dataset(
    name="SYSWARN",
    description="System warnings issued by the system operator (free text).",
    route="/datasets/SYSWARN/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec="dataset:string publishTime:timestamp! warningType:string! warningText:string",
    natural_key=("publishTime", "warningType"),
    window_column="publishTime",
    partition_column="publishTime",
    aliases=("SYS_WARN",),  # Elexon's IRIS timestamp list names it SYS_WARN
    # Warnings are sporadic: weeks can pass without one, so only a long silence is worth a warning.
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=stale_after(timedelta(days=30)),
        iris_freshness=stale_after(timedelta(days=30)),
    ),
    column_docs={
        "warningType": "Kind of warning, e.g. ELECTRICITY MARGIN NOTICE or IT SYSTEMS OUTAGE.",
        "warningText": "The warning as issued (free text).",
    },
    quirks=("Sporadic: days or weeks without a warning are normal, so freshness is 30 days.",),
    key_evidence=(
        "A warning is a message published once: the OpenAPI row has only publishTime (non-nullable), "
        "warningType and warningText, so publish time plus type identifies it (two warnings of different "
        "types issued in the same second stay apart)."
    ),
)

SOSO = Dataset(
    name="SOSO",
    description="System operator to system operator (SO-SO) trade prices offered across interconnectors.",
    route="/datasets/SOSO/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string publishTime:timestamp! senderIdentification:string receiverIdentification:string "
        "contractIdentification:string! resourceProvider:string tradeDirection:string! tradeQuantity:number! "
        "tradePrice:number! traderUnit:string startTime:timestamp! endTime:timestamp! settlementDate:date!"
    ),
    natural_key=("contractIdentification", "tradeDirection", "startTime"),
    version_columns=("publishTime",),
    window_column="publishTime",
    max_window=timedelta(hours=24),  # "maximum range of 24 hours" (OpenAPI description)
    partition_column="startTime",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(hours=12)),  # a few publications a day
    ),
    column_docs={
        "senderIdentification": "EIC of the system operator that sent the offer.",
        "receiverIdentification": "EIC of the system operator it was sent to.",
        "contractIdentification": "Identifier of the SO-SO trade contract.",
        "resourceProvider": "Interconnector (resource provider) the trade is over.",
        "tradeDirection": "Direction of the trade (A01 up / A02 down, ENTSO-E codes).",
        "tradeQuantity": "Quantity offered (MW).",
        "tradePrice": "Price offered (currency per MWh).",
        "traderUnit": "Unit of the trade quantity/price as published.",
        "startTime": "Start of the trade period (UTC).",
        "endTime": "End of the trade period (UTC).",
    },
    key_evidence=(
        "A trade is identified by its contract, direction and delivery period; a later publication of the "
        "same trade replaces the earlier one, so publishTime is the version (OpenAPI SoSoPricesDatasetRow: "
        "publishTime, startTime, endTime, settlementDate and the quantities are non-nullable)."
    ),
)

NONBM = Dataset(
    name="NONBM",
    description="Non-BM STOR instructed volume per settlement period (MW).",
    route="/datasets/NONBM/stream",
    time_params=TimeParams.FROM_TO,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string publishTime:timestamp! startTime:timestamp! settlementDate:date! "
        "settlementPeriod:integer! generation:integer!"
    ),
    natural_key=("settlementDate", "settlementPeriod"),
    version_columns=("publishTime",),
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(hours=6)),
    ),
    column_docs={"generation": "Non-BM STOR volume instructed by the system operator for the period (MW)."},
    quirks=(
        "The from/to parameters filter on the publish time, not the start time (OpenAPI: 'The start of the "
        "data publish time window'), so the window column is publishTime.",
    ),
    key_evidence=(
        "One instructed volume per settlement period; a re-publication replaces it, so publishTime is the "
        "version (OpenAPI NonBmStorData: publishTime, startTime, settlementDate, settlementPeriod and "
        "generation are all non-nullable)."
    ),
)

QAS = Dataset(
    name="QAS",
    description="Balancing services volume per BM unit and settlement period (MWh).",
    route="/datasets/QAS/stream",
    time_params=TimeParams.SETTLEMENT_RANGE,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string settlementDate:date! settlementPeriod:integer! "
        "bmUnitApplicableBalancingServicesVolume:number! nationalGridBmUnit:string bmUnit:string!"
    ),
    natural_key=("settlementDate", "settlementPeriod", "bmUnit"),
    window_column="settlementDate",
    bm_unit_column="bmUnit",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=stale_after(timedelta(hours=6)),  # only sent where the volume is non-zero
    ),
    column_docs={
        "bmUnitApplicableBalancingServicesVolume": "Energy of the applicable balancing services the BM unit "
        "provided in the period (MWh; positive or negative)."
    },
    quirks=("Normally only sent where the volume is non-zero (OpenAPI description).",),
    key_evidence=(
        "'a volume ... for each relevant BM Unit and Settlement Period' (OpenAPI description): one value per "
        "(settlement date, period, BM unit); the row carries no publish time, so a resend replaces it."
    ),
)
