"""European balancing transparency data (EBGL / ENTSO-E EMFIP documents published by NESO): balancing
reserves under contract and their prices (ABUC, PPBR), balancing energy bids and accepted offers (BEB,
AOBE), the current balancing state (CBS), procured balancing capacity (PBC), financial expenses and
income for balancing (FEIB) and the cost of congestion management (CCM).

Every one of them is an EMFIP document: ``documentId`` names the document, ``documentRevisionNumber``
counts its revisions and ``publishTime`` is when Elexon published it. The natural keys below are the
fields that say *what* a row measures (period, direction, reserve type, bid, time series); the
versions are ``publishTime`` then ``documentRevisionNumber``, so a re-published or revised document
replaces the earlier one for the same thing, and the raw tables keep every publication.
"""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import API_DAILY, IRIS_DEFAULT, Dataset, Envelope, Policy, TimeParams, stale_after

# Newest publication first, then the document's revision (EMFIP documents are revised in place).
_VERSIONS = ("publishTime", "documentRevisionNumber")
_DOCUMENT = "dataset:string documentId:string documentRevisionNumber:integer! publishTime:timestamp!"
_ON_IRIS = (
    "On IRIS: Elexon's IRIS timestamp list (elexon-data/insights-docs, dataset_fields_for_iris_timestamp.md) "
    "names it; the API catch-up fills what IRIS missed."
)
# Monthly reports (FEIB, CCM) arrive once a month: warn after 45 days without a new publication.
_MONTHLY = stale_after(timedelta(days=45))

ABUC = Dataset(
    name="ABUC",
    description="Amount of balancing reserves under contract (B1720), MW per reserve type, contract type and day.",
    route="/datasets/ABUC/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} businessType:string! psrType:string! marketAgreementType:string! flowDirection:string! "
        "settlementDate:date! quantity:number!"
    ),
    natural_key=("settlementDate", "businessType", "marketAgreementType", "psrType", "flowDirection"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=36))
    ),
    column_docs={"quantity": "Amount of balancing reserve under contract (MW)."},
    quirks=(_ON_IRIS,),
    key_evidence=(
        "The item schema has no period or time-series id: a row is one day's amount per reserve type "
        "(businessType), contract type (marketAgreementType), resource type (psrType) and direction, which "
        "is the key; documentRevisionNumber and publishTime (non-nullable in the OpenAPI document) order "
        "the revisions of the EMFIP document."
    ),
)

PPBR = Dataset(
    name="PPBR",
    description="Prices of procured balancing reserves (B1730) per contract type, resource type, direction and day.",
    route="/datasets/PPBR/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} psrType:string! marketAgreementType:string! flowDirection:string! "
        "settlementDate:date! amount:number!"
    ),
    natural_key=("settlementDate", "marketAgreementType", "psrType", "flowDirection"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=36))
    ),
    column_docs={"amount": "Price of the procured balancing reserve (GBP/MW per period of the contract)."},
    quirks=(_ON_IRIS,),
    key_evidence=(
        "The item schema is ABUC's price twin (B1730 beside B1720) without businessType: one price per day, "
        "contract type, resource type and direction; revisions ordered by publishTime then "
        "documentRevisionNumber."
    ),
)

BEB = Dataset(
    name="BEB",
    description="Balancing energy bids (EBGL art. 12.3.b): every bid's volume and price per settlement period.",
    route="/datasets/BEB/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} bidId:string! flowDirection:string! quantity:number! energyPrice:number! "
        "startTime:timestamp! settlementDate:date! settlementPeriod:integer!"
    ),
    natural_key=("settlementDate", "settlementPeriod", "bidId"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={
        "bidId": "Identifier of the balancing energy bid (an EMFIP time series id).",
        "quantity": "Volume of the bid (MW).",
        "energyPrice": "Price of the bid (GBP/MWh).",
    },
    quirks=(_ON_IRIS,),
    key_evidence=(
        "The OpenAPI document's item carries a bidId per row (example NGET-EMFIP-BEB-TS-36758603, a time "
        "series id unique within the document) and the settlement period it applies to: a bid in a period "
        "is the key; revisions ordered by publishTime then documentRevisionNumber."
    ),
)

AOBE = Dataset(
    name="AOBE",
    description="Accepted offered balancing energy: accepted volume per time series, direction and settlement period.",
    route="/datasets/AOBE/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} timeSeriesId:string! flowDirection:string! quantity:number! secondaryQuantity:number "
        "startTime:timestamp! settlementDate:date! settlementPeriod:integer!"
    ),
    natural_key=("settlementDate", "settlementPeriod", "timeSeriesId", "flowDirection"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={
        "quantity": "Accepted offered balancing energy (MWh).",
        "secondaryQuantity": "Second quantity of the time series as published (e.g. a price or a part volume).",
    },
    quirks=(_ON_IRIS,),
    key_evidence=(
        "Each row is one EMFIP time series (timeSeriesId, e.g. NGET-EMFIP-AOBE-36758603) in one settlement "
        "period and direction, as the OpenAPI document's item shows; revisions ordered by publishTime then "
        "documentRevisionNumber."
    ),
)

CBS = Dataset(
    name="CBS",
    description="Current balancing state of the GB system (EBGL art. 12.3.a): imbalance volume and direction.",
    route="/datasets/CBS/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} flowDirection:string! quantity:number! timeFrom:timestamp! timeTo:timestamp! "
        "settlementDate:date! settlementPeriod:integer!"
    ),
    natural_key=("timeFrom", "flowDirection"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=IRIS_DEFAULT),
    column_docs={
        "quantity": "System imbalance volume in the direction given (MW).",
        "timeFrom": "Start of the interval the balancing state describes (UTC).",
        "timeTo": "End of the interval the balancing state describes (UTC).",
    },
    quirks=(_ON_IRIS,),
    key_evidence=(
        "The balancing state is one value per interval (timeFrom..timeTo, inside a settlement period) and "
        "direction; the OpenAPI document gives no other identifying field."
    ),
)

PBC = Dataset(
    name="PBC",
    description="Procured balancing capacity (EBGL art. 12.3.f): volume and price per time series and period.",
    route="/datasets/PBC/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        f"{_DOCUMENT} timeSeriesId:string! flowDirection:string! psrType:string! quantity:number! "
        "procurementPrice:number! startTime:timestamp! settlementDate:date! settlementPeriod:integer!"
    ),
    natural_key=("settlementDate", "settlementPeriod", "timeSeriesId", "flowDirection", "psrType"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="settlementDate",
    policy=Policy(
        upkeep=("iris", "api_catchup"), api_freshness=API_DAILY, iris_freshness=stale_after(timedelta(hours=36))
    ),
    column_docs={
        "quantity": "Procured balancing capacity (MW).",
        "procurementPrice": "Procurement price of the capacity (GBP/MW/h).",
    },
    quirks=(_ON_IRIS,),
    key_evidence=(
        "Like AOBE, each row is an EMFIP time series (timeSeriesId) in one settlement period; direction and "
        "resource type are kept in the key so two series of one document never collapse. Revisions ordered "
        "by publishTime then documentRevisionNumber."
    ),
)

FEIB = Dataset(
    name="FEIB",
    description="Financial expenses and income for balancing (B1790), monthly, per direction.",
    route="/datasets/FEIB/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(f"{_DOCUMENT} status:string year:integer! month:string! amount:number! priceDirection:string!"),
    natural_key=("year", "month", "priceDirection"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="publishTime",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=_MONTHLY, iris_freshness=_MONTHLY),
    column_docs={
        "status": "Status of the figure: Intermediate until the month's final figure is published.",
        "year": "Year of the month reported.",
        "month": "Month reported (three-letter upper-case abbreviation, e.g. JUL).",
        "amount": "Expenses or income for balancing in the month (GBP).",
        "priceDirection": "Expenditure or Income.",
    },
    quirks=(_ON_IRIS, "Published monthly: freshness (API and IRIS) warns after 45 days without a new publication."),
    key_evidence=(
        "One amount per month (year, month) and direction (priceDirection: Expenditure/Income), per the "
        "OpenAPI document's item; an Intermediate figure is replaced by the later Final one, so status is a "
        "value, not a key, and the newest publishTime (then documentRevisionNumber) wins."
    ),
)

CCM = Dataset(
    name="CCM",
    description="Cost of congestion management (B1330), monthly (GBP).",
    route="/datasets/CCM/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=f"{_DOCUMENT} businessType:string! year:integer! month:string! amount:number!",
    natural_key=("year", "month", "businessType"),
    version_columns=_VERSIONS,
    window_column="publishTime",
    partition_column="publishTime",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=_MONTHLY, iris_freshness=_MONTHLY),
    column_docs={
        "year": "Year of the month reported.",
        "month": "Month reported (three-letter upper-case abbreviation, e.g. OCT).",
        "amount": "Cost of congestion management in the month (GBP).",
    },
    quirks=(_ON_IRIS, "Published monthly: freshness (API and IRIS) warns after 45 days without a new publication."),
    key_evidence=(
        "One amount per month (year, month) and cost type (businessType, e.g. Congestion costs) per the "
        "OpenAPI document's item; revisions ordered by publishTime then documentRevisionNumber."
    ),
)
