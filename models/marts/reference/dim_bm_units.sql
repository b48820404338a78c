{#- BM unit dimension: the Elexon reference list deduplicated to one row per BM unit, with the
    bm_unit_overrides seed filling what the list lacks (and adding units missing from it).

    The reference list repeats units; per unit we keep the row with the most populated fields, then
    the latest ingestion. The key is the Elexon id, or the National Grid id when the Elexon id is
    missing. -#}

with units as (

    select
        *,
        coalesce(elexon_bm_unit, national_grid_bm_unit) as unit_key,
        (case when national_grid_bm_unit is null then 0 else 1 end
            + case when eic is null then 0 else 1 end
            + case when fuel_type is null then 0 else 1 end
            + case when bm_unit_name is null then 0 else 1 end
            + case when lead_party_name is null then 0 else 1 end
            + case when generation_capacity is null then 0 else 1 end) as populated_fields
    from {{ ref('stg_bmrs__bmunits') }}
    where coalesce(elexon_bm_unit, national_grid_bm_unit) is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by unit_key
            order by populated_fields desc, ingested_at desc, national_grid_bm_unit, eic
        ) as unit_rank
    from units

),

reference as (

    select * from ranked where unit_rank = 1

),

overrides as (

    {#- empty CSV columns are inferred as numbers: cast everything to text -#}
    select
        {%- for c in ['bm_unit', 'national_grid_bm_unit', 'bm_unit_name', 'fuel_type', 'lead_party_name', 'bm_unit_type', 'reason'] %}
        cast({{ c }} as {{ gbp_type('string') }}) as {{ c }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('bm_unit_overrides') }}

)

select
    coalesce(reference.unit_key, overrides.bm_unit) as bm_unit,
    coalesce(nullif(overrides.national_grid_bm_unit, ''), reference.national_grid_bm_unit) as national_grid_bm_unit,
    reference.eic,
    coalesce(nullif(overrides.bm_unit_name, ''), reference.bm_unit_name) as bm_unit_name,
    coalesce(nullif(overrides.fuel_type, ''), reference.fuel_type) as fuel_type,
    coalesce(nullif(overrides.lead_party_name, ''), reference.lead_party_name) as lead_party_name,
    reference.lead_party_id,
    coalesce(nullif(overrides.bm_unit_type, ''), reference.bm_unit_type) as bm_unit_type,
    reference.fpn_flag,
    {{ gbp_safe_cast('reference.generation_capacity', 'number') }} as generation_capacity_mw,
    {{ gbp_safe_cast('reference.demand_capacity', 'number') }} as demand_capacity_mw,
    reference.production_or_consumption_flag,
    reference.gsp_group_id,
    reference.gsp_group_name,
    reference.interconnector_id,
    reference.unit_key is not null as in_reference_list,
    overrides.bm_unit is not null as has_override,
    overrides.reason as override_reason
from reference
full outer join overrides
    on reference.unit_key = overrides.bm_unit
