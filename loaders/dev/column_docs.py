"""The shared field glossary: a description of every raw field (API/IRIS name), used to generate the
dbt source, staging and unified docs (each entry becomes a doc block ``field_<snake_name>`` in
``models/docs/fields.md``).

Keys are the registry's field names. A field whose meaning depends on the dataset is described in
that dataset's entry (``Dataset.column_docs`` in ``loaders/datasets/``), which wins over the glossary.
A test checks that every registry field has a description.
"""

from __future__ import annotations

from loaders.registry import DATASETS

COLUMN_DOCS: dict[str, str] = {
    "dataset": "Elexon dataset code carried on the row (e.g. BOALF); null on convenience routes.",
    "settlementDate": "Settlement date (Europe/London local date).",
    "settlementPeriod": "Settlement period of the day (1..46/48/50; period 1 starts at local midnight).",
    "settlementPeriodFrom": "First settlement period the row touches.",
    "settlementPeriodTo": "Last settlement period the row touches.",
    "timeFrom": "Start of the straight-line segment (UTC).",
    "timeTo": "End of the straight-line segment (UTC).",
    "levelFrom": "Level at time_from (MW).",
    "levelTo": "Level at time_to (MW).",
    "acceptanceNumber": "Bid-offer acceptance number (unique per BM unit).",
    "acceptanceTime": "When the system operator issued the acceptance (UTC).",
    "deemedBoFlag": "Deemed bid-offer flag.",
    "soFlag": "System-operator flag: the action was taken for system (not energy) reasons.",
    "storFlag": "Short-term operating reserve (STOR) provider flag.",
    "rrFlag": "Replacement reserve flag (settled as RR, not in the BM cashflow).",
    "amendmentFlag": "Amendment flag (ORI original, INS inserted, DEL deleted, ...).",
    "nationalGridBmUnit": "BM unit id as used by National Grid ESO (e.g. DRAXX-1).",
    "bmUnit": "Elexon BM unit id (e.g. T_DRAXX-1).",
    "pairId": "Bid-offer pair number: positive for offers, negative for bids.",
    "offer": "Offer price (GBP/MWh).",
    "bid": "Bid price (GBP/MWh).",
    "notificationTime": "When the declaration was notified (UTC).",
    "notificationSequence": "Sequence number of the declaration; higher is newer.",
    "startTime": "Start of the period the row describes (UTC).",
    "createdDateTime": "When Elexon created this calculation run / record (UTC).",
    "systemSellPrice": "System sell price (GBP/MWh).",
    "systemBuyPrice": "System buy price (GBP/MWh); equal to the sell price since P305 (Nov 2015).",
    "bsadDefaulted": "True if balancing services adjustment data were defaulted.",
    "priceDerivationCode": "Code saying how the system price was derived.",
    "reserveScarcityPrice": "Reserve scarcity price (GBP/MWh).",
    "netImbalanceVolume": "Net imbalance volume (MWh); positive means the system was short.",
    "sellPriceAdjustment": "Sell price adjustment (GBP/MWh).",
    "buyPriceAdjustment": "Buy price adjustment (GBP/MWh).",
    "replacementPrice": "Replacement price used when the price stack is empty (GBP/MWh).",
    "replacementPriceReferenceVolume": "Reference volume of the replacement price (MWh).",
    "totalAcceptedOfferVolume": "Total accepted offer volume in the period (MWh).",
    "totalAcceptedBidVolume": "Total accepted bid volume in the period (MWh).",
    "totalAdjustmentSellVolume": "Total adjustment sell volume (MWh).",
    "totalAdjustmentBuyVolume": "Total adjustment buy volume (MWh).",
    "totalSystemTaggedAcceptedOfferVolume": "System-tagged accepted offer volume (MWh).",
    "totalSystemTaggedAcceptedBidVolume": "System-tagged accepted bid volume (MWh).",
    "totalSystemTaggedAdjustmentSellVolume": "System-tagged adjustment sell volume (MWh).",
    "totalSystemTaggedAdjustmentBuyVolume": "System-tagged adjustment buy volume (MWh).",
    "dataProvider": "Market index data provider (N2EXMIDP or APXMIDP).",
    "price": "Market index price (GBP/MWh).",
    "volume": "Volume (MWh).",
    "publishTime": "When Elexon published the row (UTC).",
    "fuelType": "Fuel type (e.g. CCGT, WIND, NUCLEAR; INT* are interconnectors).",
    "generation": "Generation (MW).",
    "measurementTime": "Time of the spot measurement (UTC).",
    "frequency": "System frequency (Hz).",
    "mrid": "REMIT message id (mRID); revisions share it.",
    "revisionNumber": "Revision of the REMIT message; higher is newer.",
    "createdTime": "When the REMIT message revision was created (UTC).",
    "messageType": "REMIT message type.",
    "messageHeading": "REMIT message heading.",
    "eventType": "REMIT event type (e.g. Production unavailability).",
    "unavailabilityType": "Planned or Unplanned.",
    "participantId": "Market participant id of the publisher.",
    "registrationCode": "Market participant registration code.",
    "assetId": "Asset id.",
    "assetType": "Asset type.",
    "affectedUnit": "Affected unit id.",
    "affectedUnitEIC": "EIC code of the affected unit.",
    "affectedArea": "Affected area.",
    "biddingZone": "Bidding zone.",
    "normalCapacity": "Normal capacity of the asset (MW).",
    "availableCapacity": "Capacity available during the event (MW).",
    "unavailableCapacity": "Capacity unavailable during the event (MW).",
    "eventStatus": "Event status (Active, Inactive, Dismissed).",
    "eventStartTime": "Start of the event (UTC).",
    "eventEndTime": "End of the event (UTC); null if open-ended.",
    "durationUncertainty": "Free-text uncertainty of the event duration.",
    "cause": "Cause of the unavailability.",
    "relatedInformation": "Related information (free text).",
    "outageProfile": "Outage capacity profile (JSON text array of start/end/capacity).",
    "boundary": "Forecast boundary (N national, or a zone B1..B17).",
    "demand": "Demand (MW).",
    "id": "Balancing services adjustment action id.",
    "cost": "Cost of the action (GBP).",
    "partyId": "Party that provided the service.",
    "isTendered": "True if the service was tendered.",
    "service": "Balancing service name.",
    "netBuyPriceCostAdjustmentEnergy": "Net buy price cost adjustment, energy (GBP).",
    "netBuyPriceVolumeAdjustmentEnergy": "Net buy price volume adjustment, energy (MWh).",
    "netBuyPriceVolumeAdjustmentSystem": "Net buy price volume adjustment, system (MWh).",
    "buyPricePriceAdjustment": "Buy price price adjustment (GBP/MWh).",
    "netSellPriceCostAdjustmentEnergy": "Net sell price cost adjustment, energy (GBP).",
    "netSellPriceVolumeAdjustmentEnergy": "Net sell price volume adjustment, energy (MWh).",
    "netSellPriceVolumeAdjustmentSystem": "Net sell price volume adjustment, system (MWh).",
    "sellPricePriceAdjustment": "Sell price price adjustment (GBP/MWh).",
    "bmUnitType": "BM unit type (T, E, I, G, S, V, ...).",
    "leadPartyName": "Lead party of the BM unit.",
    "acceptanceId": "Acceptance number the volume belongs to.",
    "acceptanceDuration": "Acceptance duration class (S short, L long).",
    "totalVolumeAccepted": "Total accepted volume of the acceptance in the period (MWh).",
    "pairVolumes": "Accepted volume per pair (JSON text object, keys negative1..6, positive1..6; MWh).",
    "bidOffer": "Side of the bid-offer data: 'bid' or 'offer' (taken from the API path).",
    "bidOfferPairCashflows": "Cashflow per pair (JSON text object, keys negative1..6, positive1..6; GBP).",
    "totalCashflow": "Total indicative cashflow of the unit in the period (GBP).",
    "elexonBmUnit": "Elexon BM unit id (e.g. T_DRAXX-1).",
    "eic": "Energy Identification Code of the BM unit.",
    "fpnFlag": "True if the unit submits final physical notifications.",
    "bmUnitName": "BM unit name.",
    "leadPartyId": "Lead party id.",
    "demandCapacity": "Registered demand capacity (MW, as text in the reference list).",
    "generationCapacity": "Registered generation capacity (MW, as text in the reference list).",
    "productionOrConsumptionFlag": "P (production) or C (consumption).",
    "transmissionLossFactor": "Transmission loss factor (as text in the reference list).",
    "workingDayCreditAssessmentImportCapability": "Working-day credit assessment import capability (MW).",
    "nonWorkingDayCreditAssessmentImportCapability": "Non-working-day credit assessment import capability (MW).",
    "workingDayCreditAssessmentExportCapability": "Working-day credit assessment export capability (MW).",
    "nonWorkingDayCreditAssessmentExportCapability": "Non-working-day credit assessment export capability (MW).",
    "creditQualifyingStatus": "Credit qualifying status.",
    "demandInProductionFlag": "Demand in production flag.",
    "gspGroupId": "Grid supply point group id.",
    "gspGroupName": "Grid supply point group name.",
    "interconnectorId": "Interconnector id, for interconnector units.",
    # ENTSO-E transparency (EMFIP) documents, e.g. ABUC, ATL, IGCA
    "documentId": "Id of the EMFIP document the row was published in (e.g. NGET-EMFIP-ATL-06424732).",
    "documentRevisionNumber": "Revision of the EMFIP document; higher is newer.",
    "timeSeriesId": "Id of the EMFIP time series the row belongs to.",
    "psrType": "Production or resource type (ENTSO-E psrType as text, e.g. Generation, Load, Wind Onshore).",
    "flowDirection": "Direction: Up (more generation / less demand) or Down.",
    "marketAgreementType": "Contract type of the reserve (Daily, Weekly, Monthly, Yearly, ...).",
    "businessType": "ENTSO-E business type of the figure, as text (e.g. Frequency containment reserve).",
}

METADATA_DOCS: dict[str, str] = {
    "_ingested_at": "When the loader committed the row (UTC).",
    "_source": "Where the row came from: 'api' (historic Insights API) or 'iris' (IRIS stream).",
    "_batch_id": "Loader batch (API window / IRIS batch) that wrote the row.",
    "_message_id": "IRIS message id (file name); null for API rows.",
    "_extra": "JSON object of fields the registry does not know yet (schema drift is kept, not lost).",
}


# Columns the generated models add (keys are their doc-block names without the ``field_`` prefix).
MODEL_DOCS: dict[str, str] = {
    "staging_source": "Where the row came from: 'api' or 'iris'.",
    "unified_source": "Which side won for this key: 'api' or 'iris'.",
    "unified_key": "Hash of the natural key (the merge key on BigQuery).",
}


def describe(dataset: str, field: str) -> str:
    """The description of ``field`` in ``dataset``: the dataset's own, else the glossary's."""
    if field in METADATA_DOCS:
        return METADATA_DOCS[field]
    return DATASETS[dataset].column_docs.get(field) or COLUMN_DOCS[field]


def is_shared(dataset: str, field: str) -> bool:
    """True when the field's description is the glossary's (a doc block), not the dataset's own."""
    return field in METADATA_DOCS or field not in DATASETS[dataset].column_docs
