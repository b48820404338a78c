{#- Our period total per BM unit, settlement period, side and bid-offer pair against Elexon's DISPTAV
    (dataType Original, pairVolumes): the Period BM Unit Total Accepted Offer/Bid Volume of BSC T3.8,
    the sum over the unit's acceptances of the per-acceptance pair volumes. One row per settlement
    date, period, unit, side and pair present on either side, on the settlement dates where DISPTAV
    is loaded.

    Why a model of its own and not a column of rpt_acceptance_volume_reconciliation: DISPTAV has no
    acceptance, so its grain is (unit, period, side, pair); joined at the acceptance grain its total
    would repeat on every acceptance row. A disagreement names the acceptances that make up our total
    (`acceptances`) -- with rpt_acceptance_volume_reconciliation (BOAV per acceptance) that tells
    which acceptance's volume differs.

    Ours: boalf_complete, RR-flagged acceptances left out, every pricing status counted (a pair_id 0
    row has no DISPTAV counterpart and shows as a disagreement, as in the BOAV report). Offer side =
    offer_volume_mwh, bid side = bid_volume_mwh (<= 0). Agreement: |ours - Elexon's| <= var
    reconciliation_period_mwh (default 0.001 MWh, as reconciliation_acceptance_mwh: DISPTAV is
    published to 3-4 decimals). -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'unit_key', 'side', 'pair_id'], cluster_by=['unit_key'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}
{%- set tolerance_mwh = var('reconciliation_period_mwh', 0.001) -%}
{%- set keys = ['settlement_date', 'settlement_period', 'unit_key', 'side', 'pair_id'] -%}

with disptav_rows as (

    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        bm_unit,
        bid_offer,
        pair_volumes
    from {{ ref('bmrs_disptav_unified') }}
    where data_type = 'Original'
        and {{ incremental_window('settlement_date') }}

),

elexon as (

    {{ elexon_pair_totals('disptav_rows', 'pair_volumes', 'volume_mwh') }}

),

{{ reconciliation_acceptances('elexon') }},

ours as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        max(bm_unit) as bm_unit,
        side,
        pair_id,
        sum(volume_mwh) as volume_mwh,
        count(distinct acceptance_number) as acceptance_count,
        {{ sorted_distinct_list("cast(acceptance_number as " ~ gbp_type('string') ~ ")") }} as acceptances
    from ({{ sided_acceptances('acceptance_rows', ['acceptance_number']) }}
    ) as sided
    group by settlement_date, settlement_period, unit_key, side, pair_id

)

select
    coalesce(our.settlement_date, elexon.settlement_date) as settlement_date,
    coalesce(our.settlement_period, elexon.settlement_period) as settlement_period,
    coalesce(our.bm_unit, elexon.bm_unit, our.unit_key, elexon.unit_key) as bm_unit,
    coalesce(our.unit_key, elexon.unit_key) as unit_key,
    coalesce(our.side, elexon.side) as side,
    coalesce(our.pair_id, elexon.pair_id) as pair_id,
    coalesce(our.volume_mwh, 0) as our_volume_mwh,
    elexon.volume_mwh as elexon_volume_mwh,
    coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0) as volume_diff_mwh,
    coalesce(our.acceptance_count, 0) as acceptance_count,
    our.acceptances,
    abs(coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0)) <= {{ tolerance_mwh }} as within_tolerance
from ours as our
full outer join elexon
    on {{ join_keys_match(keys, 'our', 'elexon') }}
{{ pruning_order('settlement_date') }}
