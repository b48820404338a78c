"""Reference data: the BM unit list (BMUNITS)."""

from __future__ import annotations

from loaders.datasets.spec import API_DAILY, Dataset, Envelope, Policy, TimeParams

BMUNITS = Dataset(
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
    bm_unit_column="nationalGridBmUnit",
    aliases=("BMUNIT", "BM_UNITS"),
    policy=Policy(upkeep=("api_snapshot",), api_freshness=API_DAILY, iris_freshness=None),
    quirks=(
        "Not on IRIS: only the current list, fetched whole (no time window), so there is no IRIS table; its "
        "unified view (bmrs_bmunits_unified) reads the API table alone and keeps one row per natural key; "
        "dim_bm_units, one row per unit, is built from the staging model.",
        "The upstream list has duplicate rows, so its staging key test only warns.",
        "Capacities and the loss factor arrive as text.",
    ),
    key_evidence=(
        "No single id names every unit: in the real sample "
        "(loaders/samples/real/insights_api_fixtures/gridskew_bmunits_truncated.json) elexonBmUnit is null for "
        "one unit and eic for seven of ten, while the OpenAPI document's /reference/bmunits/all is a current "
        "list with no version field. The three ids together are the key; exact duplicates upstream are why "
        "its key test only warns."
    ),
)
