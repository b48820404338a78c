"""Market data: the market index (MID) and REMIT outage messages."""

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
    stale_after,
)

MID = Dataset(
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
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        iris_freshness=IRIS_DEFAULT,
        every_period=True,
    ),
    accepted_ranges=(AcceptedRange("price", -500, 4000),),
    column_docs={"volume": "Traded volume (MWh)."},
    key_evidence=(
        "The OpenAPI document describes MID as one Market Index Volume and Price from each Market Index Data "
        "Provider for each settlement period, the two providers being N2EXMIDP and APXMIDP (its dataProviders "
        "parameter): provider and period are the key. The item has no publish time or revision field, so "
        "there is no version column."
    ),
)

REMIT = Dataset(
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
    policy=Policy(
        upkeep=("iris", "api_catchup"),
        api_freshness=API_DAILY,
        # messages are event-driven: a quiet day may have few
        iris_freshness=stale_after(timedelta(hours=24)),
    ),
    quirks=(
        "The API rejects windows over about a day (23 h answered 200, 25 h answered 400), so requests cover 12 h.",
        "Every revision is kept: a message's revisions share its mrid.",
    ),
    key_evidence=(
        "A REMIT message is identified by its mRID and revision number: the OpenAPI document's /remit/search "
        "takes exactly (mrid, revisionNumber) and /remit/revisions lists every revision of one mRID, and the "
        "real stream sample (loaders/samples/real/insights_api_fixtures/gridskew_remit_stream.json) has three "
        "revisions of one mrid. Every revision is a row of its own (no version column)."
    ),
)
