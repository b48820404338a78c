"""Settlement data: system prices (DISEBSP, the table people call bmrs_costs), Elexon's acceptance
volumes (BOAV) and indicative cashflows (EBOCF), and balancing services adjustments (DISBSAD, NETBSAD)."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import (
    API_DAILY,
    IRIS_DEFAULT,
    AcceptedRange,
    Dataset,
    Envelope,
    Policy,
    TimeParams,
    Unified,
    stale_after,
)

DISEBSP = Dataset(
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
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
        every_period=True,
    ),
    # A gap fails bmrs_costs' own completeness test instead of skipping the mart.
    unified=Unified(completeness_model="bmrs_costs"),
    accepted_ranges=(
        AcceptedRange("systemSellPrice", -1000, 4000),
        AcceptedRange("systemBuyPrice", -1000, 4000),
    ),
    quirks=(
        "The system buy price equals the sell price since P305 (November 2015).",
        "Elexon re-runs settlement: a later createdDateTime replaces a period's prices.",
    ),
    key_evidence=(
        "One system price per settlement period (OpenAPI: the route returns settlementDate/settlementPeriod "
        "rows for one date); each settlement run re-issues the period with a later createdDateTime, so "
        "createdDateTime is the version and the newest run wins."
    ),
)

BOAV = Dataset(
    name="BOAV",
    description="Elexon's bid-offer acceptance volumes per acceptance, pair and period (settlement).",
    route="/balancing/settlement/acceptance/volumes/all/{variant}/{settlementDate}",
    time_params=TimeParams.SETTLEMENT_DATE_PATH,
    envelope=Envelope.DATA_METADATA,
    columns_spec=(
        "dataset:string createdDateTime:timestamp! settlementDate:date! settlementPeriod:integer! "
        "startTime:timestamp! bmUnit:string bmUnitType:string leadPartyName:string "
        "nationalGridBmUnit:string acceptanceId:integer! acceptanceDuration:string "
        "totalVolumeAccepted:number pairVolumes:json!"
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
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    quirks=("The route is fetched twice per day, bid and offer; the side is only in the path and kept in bidOffer.",),
    key_evidence=(
        "Elexon's acceptance volumes: one row per acceptance (acceptanceId) of a BM unit in a period and side "
        "(bid/offer comes from the route path and is kept in bidOffer); settlement runs re-issue rows with a "
        "later createdDateTime, so that is the version."
    ),
)

EBOCF = Dataset(
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
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    column_docs={"createdDateTime": "When Elexon created this cashflow record (UTC)."},
    quirks=("The route is fetched twice per day, bid and offer; the side is only in the path and kept in bidOffer.",),
    key_evidence=(
        "Indicative cashflows: one row per BM unit, period and side (bidOfferPairCashflows holds every pair), "
        "side from the route path; later settlement runs re-issue the row with a later createdDateTime, the "
        "version."
    ),
)

DISBSAD = Dataset(
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
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        # adjustment actions are event-driven: a quiet day has none
        iris_freshness=stale_after(timedelta(hours=24)),
    ),
    column_docs={"volume": "Volume of the adjustment action (MWh)."},
    key_evidence=(
        "Each disaggregated adjustment action has an id unique within its settlement period (OpenAPI DISBSAD "
        "row: settlementDate, settlementPeriod, id, all non-nullable); the row has no publish time, so a "
        "resend replaces it."
    ),
)

NETBSAD = Dataset(
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
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
        every_period=True,
    ),
    key_evidence=(
        "One net adjustment per settlement period (OpenAPI NETBSAD row: settlementDate, settlementPeriod); "
        "the row has no publish time, so a resend replaces it."
    ),
)
