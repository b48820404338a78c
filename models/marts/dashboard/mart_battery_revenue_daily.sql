{#- Daily BM revenue of every battery BM unit, with £/MW/day and a capacity-weighted fleet index.

    Which units are batteries (docs: _dashboard__models.yml):
    1. seeds/vlp_units.csv decides for the units it lists: technology 'battery' includes a unit,
       any other technology excludes it (a blank technology leaves it to the reference list);
    2. otherwise the BM unit reference list (dim_bm_units) decides: fuel type in
       var('battery_fuel_types'), or — when the fuel type is blank or OTHER — a name containing one of
       var('battery_name_keywords') (case-insensitive). Pumped storage (PS) is never a battery.

    One row per battery unit per settlement day present in mart_bm_revenue_daily (zeros on days
    without acceptances). Revenue is mart_bm_revenue_daily's net_cashflow_gbp (and its offer/bid
    parts): the BM cashflow as that mart settles it — the one place to change if another revenue
    basis (e.g. before/after transmission losses) should feed the dashboard.

    Fleet index: per day, the sum of included units' revenue over the sum of their capacity
    (capacity-weighted £/MW/day). A unit is included on a day when its capacity is known and > 0
    and it had accepted volume on at least one day of the var('battery_fleet_active_days') days
    ending that day (so idle days count as £0, units that are not trading in the BM do not).

    Incremental like mart_bm_revenue_daily: a run rebuilds the settlement days from the incremental
    floor on, reading revenue from var('battery_fleet_active_days') − 1 days earlier (the activity
    window of the first rebuilt day). Like mart_vlp_revenue_daily, the units (seed, reference list)
    are applied as of the build to the days it rebuilds: after changing seeds/vlp_units.csv or the
    battery vars, run `gbpower dbt build --full-refresh -s mart_battery_revenue_daily`. -#}
{%- set fuel_types = var('battery_fuel_types', ['BATTERY']) -%}
{%- set keywords = var('battery_name_keywords', ['battery', 'bess']) -%}
{%- set active_days = var('battery_fleet_active_days', 30) -%}
{{ config(**incremental_config(unique_key=['settlement_date', 'bm_unit'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

with dim as (

    select * from {{ ref('dim_bm_units') }}

),

reference as (

    select
        bm_unit,
        national_grid_bm_unit,
        bm_unit_name,
        lead_party_name,
        generation_capacity_mw,
        case
            when upper(coalesce(fuel_type, '')) = 'PS' then null
            when upper(fuel_type) in ({% for f in fuel_types %}'{{ f | upper }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'reference fuel type'
            when upper(coalesce(fuel_type, 'OTHER')) = 'OTHER'
                and ({% for k in keywords %}lower(coalesce(bm_unit_name, '')) like '%{{ k | lower }}%'{{ ' or ' if not loop.last }}{% endfor %})
                then 'reference name'
        end as recognised_by
    from dim

),

ng_ids as (

    select national_grid_bm_unit, min(bm_unit) as bm_unit
    from dim
    where national_grid_bm_unit is not null
    group by national_grid_bm_unit

),

-- seed rows, keyed by the dimension's id (the seed may list the Elexon or the National Grid id)
listed as (

    select
        coalesce(by_elexon.bm_unit, by_ng.bm_unit, s.bm_unit) as unit_key,
        s.unit_name,
        s.lead_party,
        s.capacity_mw,
        lower(s.technology) as technology
    from {{ ref('vlp_units') }} as s
    left join dim as by_elexon
        on s.bm_unit = by_elexon.bm_unit
    left join ng_ids as by_ng
        on s.bm_unit = by_ng.national_grid_bm_unit

),

units as (

    select
        coalesce(l.unit_key, r.bm_unit) as bm_unit,
        r.national_grid_bm_unit,
        coalesce(l.unit_name, r.bm_unit_name) as unit_name,
        coalesce(l.lead_party, r.lead_party_name) as lead_party,
        coalesce(l.capacity_mw, r.generation_capacity_mw) as capacity_mw,
        case when l.technology = 'battery' then 'seed' else r.recognised_by end as recognised_by
    from reference as r
    full outer join listed as l
        on r.bm_unit = l.unit_key
    where coalesce(l.technology = 'battery', r.recognised_by is not null)

),

revenue as (

    select * from {{ ref('mart_bm_revenue_daily') }}
    where {{ incremental_window('settlement_date', days_before=active_days - 1) }}

),

-- revenue keyed by either of the unit's ids
revenue_by_id as (

    {{ keyed_by_either_unit_id('revenue') }}

),

days as (

    select distinct settlement_date from revenue

),

day_lengths as (

    select settlement_date, max(periods_in_day) as periods_in_day
    from {{ ref('int_settlement_periods') }}
    where {{ incremental_window('settlement_date') }}
    group by settlement_date

),

unit_days as (

    select
        d.settlement_date,
        dl.periods_in_day,
        u.*,
        -- the revenue basis: mart_bm_revenue_daily's cashflow columns (see the header)
        coalesce(r.net_cashflow_gbp, 0) as net_revenue_gbp,
        coalesce(r.offer_cashflow_gbp, 0) as offer_revenue_gbp,
        coalesce(r.bid_cashflow_gbp, 0) as bid_revenue_gbp,
        coalesce(r.offer_volume_mwh, 0) as offer_volume_mwh,
        coalesce(r.bid_volume_mwh, 0) as bid_volume_mwh,
        coalesce(r.unpriced_volume_mwh, 0) as unpriced_volume_mwh,
        coalesce(r.periods_active, 0) as periods_active
    from days as d
    cross join units as u
    left join day_lengths as dl
        on d.settlement_date = dl.settlement_date
    left join revenue_by_id as r
        on d.settlement_date = r.settlement_date
        and u.bm_unit = r.unit_id

),

with_activity as (

    select
        *,
        max(case when periods_active > 0 then 1 else 0 end) over (
            partition by bm_unit
            order by {{ unix_day('settlement_date') }}
            range between {{ active_days - 1 }} preceding and current row
        ) = 1 as active_in_window
    from unit_days

),

flagged as (

    select
        *,
        coalesce(capacity_mw > 0, false) and active_in_window as in_fleet_index
    from with_activity

),

fleet as (

    select
        settlement_date,
        sum(case when in_fleet_index then 1 else 0 end) as fleet_units,
        sum(case when in_fleet_index then capacity_mw else 0 end) as fleet_capacity_mw,
        sum(case when in_fleet_index then net_revenue_gbp else 0 end) as fleet_revenue_gbp
    from flagged
    group by settlement_date

)

select
    f.settlement_date,
    f.bm_unit,
    f.national_grid_bm_unit,
    f.unit_name,
    f.lead_party,
    f.capacity_mw,
    f.recognised_by,
    f.offer_volume_mwh,
    f.bid_volume_mwh,
    f.offer_revenue_gbp,
    f.bid_revenue_gbp,
    f.net_revenue_gbp,
    f.unpriced_volume_mwh,
    f.periods_active,
    f.periods_in_day,
    f.periods_active / nullif(f.periods_in_day, 0) as active_share,
    f.net_revenue_gbp / nullif(f.capacity_mw, 0) as revenue_gbp_per_mw_day,
    f.in_fleet_index,
    fl.fleet_units,
    fl.fleet_capacity_mw,
    fl.fleet_revenue_gbp,
    fl.fleet_revenue_gbp / nullif(fl.fleet_capacity_mw, 0) as fleet_index_gbp_per_mw_day
from flagged as f
inner join fleet as fl
    on f.settlement_date = fl.settlement_date
where {{ incremental_window('f.settlement_date') }}
{{ pruning_order('f.settlement_date') }}
