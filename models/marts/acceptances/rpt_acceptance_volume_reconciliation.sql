{#- Our accepted volume per acceptance and bid-offer pair against Elexon's BOAV (pairVolumes), at the
    finest grain Elexon publishes: one row per settlement date, period, BM unit, acceptance, side and
    pair present on either side, on the settlement dates where BOAV is loaded.

    Ours: boalf_complete, RR-flagged acceptances left out (as in Elexon's BM volumes), every pricing
    status counted -- a pair_id 0 row (volume beyond the submitted pairs, or no BOD) has no BOAV
    counterpart and so shows up here as a disagreement. Offer side = offer_volume_mwh (moves up), bid
    side = bid_volume_mwh (moves down, <= 0); a pair of either sign can carry either side.
    Agreement: |ours - Elexon's| <= var reconciliation_acceptance_mwh (default 0.001 MWh: BOAV is
    published to 3-4 decimals; our volumes are integrated per minute). -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'unit_key', 'acceptance_number', 'side', 'pair_id'], cluster_by=['unit_key'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}
{%- set tolerance_mwh = var('reconciliation_acceptance_mwh', 0.001) -%}

with boav_rows as (

    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        bm_unit,
        acceptance_id,
        bid_offer,
        pair_volumes
    from {{ ref('bmrs_boav_unified') }}
    where {{ incremental_window('settlement_date') }}

),

boav_pairs as (

    {{ unpivot_derived_pairs('boav_rows', 'pair_volumes', ['settlement_date', 'settlement_period', 'unit_key', 'bm_unit', 'acceptance_id', 'bid_offer'], 'volume_mwh') }}

),

elexon as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        max(bm_unit) as bm_unit,
        acceptance_id as acceptance_number,
        bid_offer as side,
        pair_id,
        sum(volume_mwh) as volume_mwh
    from boav_pairs
    group by settlement_date, settlement_period, unit_key, acceptance_id, bid_offer, pair_id

),

elexon_dates as (

    select distinct settlement_date from elexon

),

acceptance_rows as (

    select acceptance.*
    from {{ ref('boalf_complete') }} as acceptance
    inner join elexon_dates as elexon_date
        on acceptance.settlement_date = elexon_date.settlement_date
    where not acceptance.rr_flag
        and {{ incremental_window('acceptance.settlement_date') }}

),

ours as (

    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        max(bm_unit) as bm_unit,
        acceptance_number,
        side,
        pair_id,
        sum(volume_mwh) as volume_mwh,
        max(pricing_status) as pricing_status
    from (
        select *, 'offer' as side, offer_volume_mwh as volume_mwh from acceptance_rows
        where offer_volume_mwh <> 0
        union all
        select *, 'bid' as side, bid_volume_mwh as volume_mwh from acceptance_rows
        where bid_volume_mwh <> 0
    ) as sided
    group by settlement_date, settlement_period, coalesce(national_grid_bm_unit, bm_unit), acceptance_number, side, pair_id

),

keys as (

    select settlement_date, settlement_period, unit_key, acceptance_number, side, pair_id from ours
    union distinct
    select settlement_date, settlement_period, unit_key, acceptance_number, side, pair_id from elexon

)

select
    k.settlement_date,
    k.settlement_period,
    coalesce(our.bm_unit, elexon.bm_unit, k.unit_key) as bm_unit,
    k.unit_key,
    k.acceptance_number,
    k.side,
    k.pair_id,
    coalesce(our.volume_mwh, 0) as our_volume_mwh,
    elexon.volume_mwh as elexon_volume_mwh,
    coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0) as volume_diff_mwh,
    our.pricing_status,
    abs(coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0)) <= {{ tolerance_mwh }} as within_tolerance
from keys as k
left join ours as our
    on k.settlement_date = our.settlement_date
    and k.settlement_period = our.settlement_period
    and k.unit_key = our.unit_key
    and k.acceptance_number = our.acceptance_number
    and k.side = our.side
    and k.pair_id = our.pair_id
left join elexon
    on k.settlement_date = elexon.settlement_date
    and k.settlement_period = elexon.settlement_period
    and k.unit_key = elexon.unit_key
    and k.acceptance_number = elexon.acceptance_number
    and k.side = elexon.side
    and k.pair_id = elexon.pair_id
{{ pruning_order('k.settlement_date') }}
