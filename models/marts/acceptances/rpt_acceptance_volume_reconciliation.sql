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
{%- set keys = ['settlement_date', 'settlement_period', 'unit_key', 'acceptance_number', 'side', 'pair_id'] -%}

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

elexon as (

    {{ elexon_pair_totals('boav_rows', 'pair_volumes', 'volume_mwh', acceptance=true) }}

),

{{ reconciliation_acceptances('elexon') }},

ours as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        max(bm_unit) as bm_unit,
        acceptance_number,
        side,
        pair_id,
        sum(volume_mwh) as volume_mwh,
        max(pricing_status) as pricing_status
    from ({{ sided_acceptances('acceptance_rows', ['acceptance_number', 'pricing_status']) }}
    ) as sided
    group by settlement_date, settlement_period, unit_key, acceptance_number, side, pair_id

)

select
    coalesce(our.settlement_date, elexon.settlement_date) as settlement_date,
    coalesce(our.settlement_period, elexon.settlement_period) as settlement_period,
    coalesce(our.bm_unit, elexon.bm_unit, our.unit_key, elexon.unit_key) as bm_unit,
    coalesce(our.unit_key, elexon.unit_key) as unit_key,
    coalesce(our.acceptance_number, elexon.acceptance_number) as acceptance_number,
    coalesce(our.side, elexon.side) as side,
    coalesce(our.pair_id, elexon.pair_id) as pair_id,
    coalesce(our.volume_mwh, 0) as our_volume_mwh,
    elexon.volume_mwh as elexon_volume_mwh,
    coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0) as volume_diff_mwh,
    our.pricing_status,
    abs(coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0)) <= {{ tolerance_mwh }} as within_tolerance
from ours as our
full outer join elexon
    on {{ join_keys_match(keys, 'our', 'elexon') }}
{{ pruning_order('settlement_date') }}
