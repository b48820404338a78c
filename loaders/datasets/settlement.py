"""Settlement data: system prices (DISEBSP, the table people call bmrs_costs), Elexon's acceptance
volumes (BOAV), period totals (DISPTAV), indicative cashflows (EBOCF) and the settlement stack
(ISPSTACK), and balancing services adjustments (DISBSAD, NETBSAD)."""

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
    unified=Unified(incremental="settlementDate", cluster="bmUnit"),
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

DISPTAV = Dataset(
    name="DISPTAV",
    description="Elexon's indicative period BM unit total accepted volumes per pair and period (settlement).",
    route="/balancing/settlement/indicative/volumes/all/{variant}/{settlementDate}",
    time_params=TimeParams.SETTLEMENT_DATE_PATH,
    envelope=Envelope.DATA_METADATA,
    columns_spec=(
        "dataset:string createdDateTime:timestamp! settlementDate:date! settlementPeriod:integer! "
        "startTime:timestamp! bmUnit:string bmUnitType:string leadPartyName:string "
        "nationalGridBmUnit:string dataType:string totalVolumeAccepted:number pairVolumes:json!"
    ),
    natural_key=(
        "settlementDate",
        "settlementPeriod",
        "bmUnit",
        "nationalGridBmUnit",
        "dataType",
        "bidOffer",
    ),
    version_columns=("createdDateTime",),
    window_column="settlementDate",
    variants=("bid", "offer"),
    variant_column="bidOffer",
    bm_unit_column="bmUnit",
    partition_column="settlementDate",
    unified=Unified(incremental="settlementDate", cluster="bmUnit"),
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    column_docs={
        "dataType": (
            "Which period total the row is: Original (all accepted volume), Tagged (after system tagging), "
            "Repriced, Originally-Priced."
        ),
        "totalVolumeAccepted": "The unit's total accepted volume of this side and data type in the period (MWh).",
        "pairVolumes": "The period total per bid-offer pair (MWh; JSON object, keys positiveN/negativeN).",
    },
    quirks=(
        "The route is fetched twice per day, bid and offer; the side is only in the path and kept in bidOffer.",
        "One unit-period-side has up to four rows, one per dataType; the reconciliation uses Original.",
    ),
    key_evidence=(
        "Indicative period volumes (OpenAPI IndicativeVolumeResponse): per BM unit, period and side, the "
        "period totals of the accepted volumes, one row per dataType (Original, Tagged, Repriced, "
        "Originally-Priced: Elexon's derived data lists these four totals per unit-period), so dataType is "
        "part of the key with the unit ids and bidOffer (from the route path). The route returns 'only "
        "messages generated for the latest settlement run', and a later run re-issues the row with a later "
        "createdDateTime, the version."
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
    unified=Unified(incremental="settlementDate", cluster="bmUnit"),
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

ISPSTACK = Dataset(
    name="ISPSTACK",
    description="Elexon's settlement bid-offer stack per period and side: price, volume and TLM per item.",
    route="/balancing/settlement/stack/all/{variant}/{settlementDate}/{settlementPeriod}",
    time_params=TimeParams.SETTLEMENT_PERIOD_PATH,
    envelope=Envelope.DATA_METADATA,
    columns_spec=(
        "settlementDate:date! settlementPeriod:integer! startTime:timestamp! createdDateTime:timestamp "
        "sequenceNumber:integer! id:string acceptanceId:integer bidOfferPairId:integer cadlFlag:boolean "
        "soFlag:boolean storProviderFlag:boolean repricedIndicator:boolean! reserveScarcityPrice:number "
        "originalPrice:number volume:number! dmatAdjustedVolume:number arbitrageAdjustedVolume:number "
        "nivAdjustedVolume:number parAdjustedVolume:number finalPrice:number "
        "transmissionLossMultiplier:number tlmAdjustedVolume:number tlmAdjustedCost:number"
    ),
    natural_key=("settlementDate", "settlementPeriod", "bidOffer", "sequenceNumber"),
    version_columns=("createdDateTime",),
    # one request per settlement period: the window is the period, matched on its start time
    window_column="startTime",
    max_window=timedelta(minutes=30),
    variants=("bid", "offer"),
    variant_column="bidOffer",
    bm_unit_column="id",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup", "api_revisions"),
        revision_days=3,
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
    ),
    column_docs={
        "sequenceNumber": "Position of the item in the period's bid or offer stack (1 = first).",
        "id": "The stack item: the BM unit (Elexon id) of an acceptance, or the id of a balancing services action.",
        "acceptanceId": "The BOALF acceptance number of a BM unit item (null for other actions).",
        "bidOfferPairId": "The bid-offer pair the item's volume was taken from (null for other actions).",
        "originalPrice": "The item's price before any repricing (GBP/MWh): the pair's bid or offer price.",
        "volume": "The item's accepted volume in the period (MWh; not loss-adjusted).",
        "finalPrice": "The item's price after repricing and flagging (GBP/MWh).",
        "transmissionLossMultiplier": "The TLM the BMRA applied to the item (1 + TLF + the estimated adjustment).",
        "tlmAdjustedVolume": "volume x transmissionLossMultiplier (MWh).",
        "tlmAdjustedCost": "tlmAdjustedVolume x the item's price (GBP).",
        "repricedIndicator": "True when the item was repriced in the system price calculation.",
        "cadlFlag": "Continuous Acceptance Duration Limit flag: a short acceptance flagged as system (not energy).",
        "storProviderFlag": "Short-term operating reserve (STOR) provider flag of the item.",
        "dmatAdjustedVolume": "The volume after the de minimis acceptance threshold (DMAT) tagging (MWh).",
        "arbitrageAdjustedVolume": "The volume after arbitrage tagging (MWh).",
        "nivAdjustedVolume": "The volume after net imbalance volume (NIV) tagging (MWh).",
        "parAdjustedVolume": "The volume after price average reference (PAR) tagging (MWh).",
    },
    quirks=(
        "One request per settlement period and side (the route has no whole-day form); the periods asked for "
        "are the day's 46, 48 or 50 from the settlement calendar, and a 404 for a period is recorded as no such "
        "period, not an error.",
        "The stack also holds balancing services actions (no acceptanceId or bidOfferPairId).",
    ),
    key_evidence=(
        "The settlement stack (OpenAPI SettlementStackResponse) is one list per settlement period and side "
        "(bidOffer from the route path); sequenceNumber, non-nullable, is each item's position in that list, "
        "so (settlementDate, settlementPeriod, bidOffer, sequenceNumber) names an item. The route returns the "
        "stack 'generated by the latest calculation run'; createdDateTime is the run's time, the version. "
        "Items are not keyed on acceptanceId/bidOfferPairId, which are null for balancing services actions. "
        "A later run may list fewer items: each API load replaces the whole period (its window)."
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
