{#- Daily BM revenue of the VLP/battery units listed in seeds/vlp_units.csv, with £/MW/day.

    One row per listed unit per settlement day present in mart_bm_revenue_daily (a listed unit with
    no acceptances that day shows zeros). Name, lead party and capacity come from the seed, or from
    the BM unit reference list (stg_bmrs__bmunits) where the seed leaves them blank. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'bm_unit'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

with units as (

    select * from {{ ref('vlp_units') }}

),

-- the reference list keyed by either of a unit's ids (equality joins only: BigQuery needs them)
reference as (

    select elexon_bm_unit as unit_id, bm_unit_name, lead_party_name, generation_capacity
    from {{ ref('stg_bmrs__bmunits') }}
    where elexon_bm_unit is not null
    union all
    select national_grid_bm_unit as unit_id, bm_unit_name, lead_party_name, generation_capacity
    from {{ ref('stg_bmrs__bmunits') }}
    where national_grid_bm_unit is not null
        and national_grid_bm_unit <> coalesce(elexon_bm_unit, '')

),

listed as (

    select
        u.bm_unit,
        coalesce(u.unit_name, max(r.bm_unit_name)) as unit_name,
        coalesce(u.lead_party, max(r.lead_party_name)) as lead_party,
        coalesce(u.capacity_mw, max(cast(r.generation_capacity as {{ gbp_type('number') }}))) as capacity_mw,
        u.technology
    from units as u
    left join reference as r
        on u.bm_unit = r.unit_id
    group by u.bm_unit, u.unit_name, u.lead_party, u.capacity_mw, u.technology

),

revenue as (

    select * from {{ ref('mart_bm_revenue_daily') }}
    where {{ incremental_window('settlement_date') }}

),

-- revenue keyed by either of the unit's ids
revenue_by_id as (

    {{ keyed_by_either_unit_id('revenue') }}

),

days as (

    select distinct settlement_date from revenue

),

unit_days as (

    select
        d.settlement_date,
        l.bm_unit,
        l.unit_name,
        l.lead_party,
        l.capacity_mw,
        l.technology
    from days as d
    cross join listed as l

)

select
    k.settlement_date,
    k.bm_unit,
    k.unit_name,
    k.lead_party,
    k.technology,
    k.capacity_mw,
    coalesce(r.offer_volume_mwh, 0) as offer_volume_mwh,
    coalesce(r.bid_volume_mwh, 0) as bid_volume_mwh,
    coalesce(r.offer_cashflow_gbp, 0) as offer_cashflow_gbp,
    coalesce(r.bid_cashflow_gbp, 0) as bid_cashflow_gbp,
    coalesce(r.net_cashflow_gbp, 0) as net_cashflow_gbp,
    coalesce(r.periods_active, 0) as periods_active,
    coalesce(r.net_cashflow_gbp, 0) / nullif(k.capacity_mw, 0) as net_revenue_gbp_per_mw_day
from unit_days as k
left join revenue_by_id as r
    on k.settlement_date = r.settlement_date
    and k.bm_unit = r.unit_id
{{ pruning_order('k.settlement_date') }}
