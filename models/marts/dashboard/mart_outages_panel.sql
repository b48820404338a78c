{#- The dashboard's outages panel: the outages of mart_current_outages in force now (started, not
    ended) with at least var('outage_min_unavailable_mw', 50) MW unavailable (default 50), largest first,
    each with an asset name (the BM unit name from dim_bm_units, matched on the REMIT asset id or
    affected unit, else the asset id), start and end (UTC and UK local) and duration; plus one
    TOTAL UNAVAILABLE row summing those outages. mart_current_outages itself is unchanged. -#}
{%- set min_mw = var('outage_min_unavailable_mw', 50) -%}

with outages as (

    select * from {{ ref('mart_current_outages') }}
    where has_started
        and unavailable_capacity >= {{ min_mw }}

),

-- BM unit names keyed by either of a unit's ids (equality joins only: BigQuery needs them)
unit_names as (

    select bm_unit as unit_id, max(bm_unit_name) as bm_unit_name
    from {{ ref('dim_bm_units') }}
    where bm_unit_name is not null
    group by bm_unit
    union all
    select national_grid_bm_unit as unit_id, max(bm_unit_name) as bm_unit_name
    from {{ ref('dim_bm_units') }}
    where bm_unit_name is not null
        and national_grid_bm_unit is not null
        and national_grid_bm_unit <> bm_unit
    group by national_grid_bm_unit

),

named as (

    select
        o.*,
        coalesce(by_asset.bm_unit_name, by_unit.bm_unit_name, o.asset_id, o.affected_unit, o.mrid) as asset_name
    from outages as o
    left join unit_names as by_asset
        on o.asset_id = by_asset.unit_id
    left join unit_names as by_unit
        on o.affected_unit = by_unit.unit_id

),

rows_ as (

    select
        mrid as row_key,
        'outage' as row_type,
        row_number() over (order by unavailable_capacity desc, event_start_time, mrid) as display_order,
        mrid,
        asset_name,
        asset_id,
        affected_unit,
        fuel_type,
        unavailability_type,
        cause,
        normal_capacity,
        unavailable_capacity,
        event_start_time,
        event_end_time,
        1 as outages
    from named

),

total as (

    select
        'TOTAL' as row_key,
        'total' as row_type,
        0 as display_order,
        cast(null as {{ gbp_type('string') }}) as mrid,
        'TOTAL UNAVAILABLE' as asset_name,
        cast(null as {{ gbp_type('string') }}) as asset_id,
        cast(null as {{ gbp_type('string') }}) as affected_unit,
        cast(null as {{ gbp_type('string') }}) as fuel_type,
        cast(null as {{ gbp_type('string') }}) as unavailability_type,
        cast(null as {{ gbp_type('string') }}) as cause,
        coalesce(sum(normal_capacity), 0) as normal_capacity,
        coalesce(sum(unavailable_capacity), 0) as unavailable_capacity,
        cast(null as {{ gbp_type('timestamp') }}) as event_start_time,
        cast(null as {{ gbp_type('timestamp') }}) as event_end_time,
        count(*) as outages
    from rows_

),

unioned as (

    select * from rows_
    union all
    select * from total

),

local_days as (

    select
        *,
        {{ uk_local_date('event_start_time') }} as event_start_settlement_date,
        {{ uk_local_date('event_end_time') }} as event_end_settlement_date
    from unioned

),

day_starts as (

    select
        *,
        {{ london_midnight_utc('event_start_settlement_date') }} as event_start_day_utc,
        {{ london_midnight_utc('event_end_settlement_date') }} as event_end_day_utc
    from local_days

)

select
    row_key,
    row_type,
    cast(display_order as {{ gbp_type('integer') }}) as display_order,
    mrid,
    asset_name,
    asset_id,
    affected_unit,
    fuel_type,
    unavailability_type,
    cause,
    normal_capacity,
    unavailable_capacity,
    cast(outages as {{ gbp_type('integer') }}) as outages,
    {{ min_mw }} as min_unavailable_mw,
    event_start_time as event_start_time_utc,
    {{ uk_local_time('event_start_time') }} as event_start_time_uk,
    event_start_settlement_date,
    {{ settlement_period_at('event_start_time', 'event_start_day_utc') }} as event_start_settlement_period,
    event_end_time as event_end_time_utc,
    {{ uk_local_time('event_end_time') }} as event_end_time_uk,
    event_end_settlement_date,
    {{ settlement_period_at('event_end_time', 'event_end_day_utc') }} as event_end_settlement_period,
    case when row_type = 'outage' then {{ seconds_between('event_start_time', 'event_end_time') }} / 3600.0 end
        as duration_hours,
    case when row_type = 'outage' then {{ seconds_between('event_start_time', current_utc_timestamp()) }} / 3600.0 end
        as elapsed_hours
from day_starts
