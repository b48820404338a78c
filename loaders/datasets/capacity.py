"""Installed generation capacity: aggregated per production type and year (IGCA, B1410) and per
production unit of 100 MW or more (IGCPU, B1420)."""

from __future__ import annotations

from datetime import timedelta

from loaders.datasets.spec import Dataset, Envelope, Policy, TimeParams, stale_after

_ON_IRIS = (
    "On IRIS: Elexon's IRIS timestamp list (elexon-data/insights-docs, dataset_fields_for_iris_timestamp.md) "
    "names it; the API catch-up fills what IRIS missed."
)
# Capacity is restated about once a year (IGCA) or when a unit changes (IGCPU).
_YEARLY = stale_after(timedelta(days=400))

IGCA = Dataset(
    name="IGCA",
    description="Installed generation capacity aggregated per production type and year (B1410), MW.",
    route="/datasets/IGCA/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string documentId:string documentRevisionNumber:integer! publishTime:timestamp! "
        "businessType:string! psrType:string! year:integer! quantity:number!"
    ),
    natural_key=("year", "businessType", "psrType"),
    version_columns=("publishTime", "documentRevisionNumber"),
    window_column="publishTime",
    partition_column="publishTime",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=_YEARLY, iris_freshness=_YEARLY),
    column_docs={
        "businessType": "Kind of figure (e.g. Installed generation).",
        "year": "Year the installed capacity applies to.",
        "quantity": "Installed generation capacity of the production type (MW).",
    },
    quirks=(_ON_IRIS, "Published about once a year: freshness (API and IRIS) warns after 400 days."),
    key_evidence=(
        "The OpenAPI document's item is one capacity per year, kind (businessType) and production type "
        "(psrType, e.g. Hydro Pumped Storage); restatements are ordered by publishTime then "
        "documentRevisionNumber."
    ),
)

IGCPU = Dataset(
    name="IGCPU",
    description="Installed generation capacity per production unit of 100 MW or more (B1420), existing and planned.",
    route="/datasets/IGCPU/stream",
    time_params=TimeParams.PUBLISH,
    envelope=Envelope.ARRAY,
    columns_spec=(
        "dataset:string documentId:string publishTime:timestamp! effectiveFrom:date! psrType:string "
        "registeredResourceEicCode:string! registeredResourceName:string bmUnit:string voltageLimit:number "
        "installedCapacity:number!"
    ),
    natural_key=("registeredResourceEicCode", "effectiveFrom"),
    version_columns=("publishTime",),
    window_column="publishTime",
    bm_unit_column="bmUnit",
    partition_column="effectiveFrom",
    policy=Policy(upkeep=("iris", "api_catchup"), api_freshness=_YEARLY, iris_freshness=_YEARLY),
    column_docs={
        "effectiveFrom": "Date from which the unit's capacity applies.",
        "registeredResourceEicCode": "EIC code of the production unit.",
        "registeredResourceName": "Name of the production unit (usually its BM unit id without prefix).",
        "voltageLimit": "Voltage level of the unit's connection (kV).",
        "installedCapacity": "Installed generation capacity of the unit (MW).",
    },
    quirks=(
        _ON_IRIS,
        "The OpenAPI document says the table was migrated from a dump without publish times: every migrated "
        "row has publishTime 2023-01-01 00:00, so backfilling that day loads them all.",
        "Changes are published when a unit changes: freshness (API and IRIS) warns after 400 days.",
    ),
    key_evidence=(
        "A unit is identified by its EIC code (registeredResourceEicCode; bmUnit and the name are null for "
        "some units) and its capacity changes from effectiveFrom on, so (EIC, effectiveFrom) is the key; a "
        "republished row for the same unit and date is newer by publishTime (the item has no revision "
        "number)."
    ),
)
