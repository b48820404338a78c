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

disptav_pairs as (

    {{ unpivot_derived_pairs('disptav_rows', 'pair_volumes', ['settlement_date', 'settlement_period', 'unit_key', 'bm_unit', 'bid_offer'], 'volume_mwh') }}

),

elexon as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        max(bm_unit) as bm_unit,
        bid_offer as side,
        pair_id,
        sum(volume_mwh) as volume_mwh
    from disptav_pairs
    group by settlement_date, settlement_period, unit_key, bid_offer, pair_id

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
        side,
        pair_id,
        sum(volume_mwh) as volume_mwh,
        count(distinct acceptance_number) as acceptance_count,
        {{ sorted_distinct_list("cast(acceptance_number as " ~ gbp_type('string') ~ ")") }} as acceptances
    from (
        select *, 'offer' as side, offer_volume_mwh as volume_mwh from acceptance_rows
        where offer_volume_mwh <> 0
        union all
        select *, 'bid' as side, bid_volume_mwh as volume_mwh from acceptance_rows
        where bid_volume_mwh <> 0
    ) as sided
    group by settlement_date, settlement_period, coalesce(national_grid_bm_unit, bm_unit), side, pair_id

),

keys as (

    select settlement_date, settlement_period, unit_key, side, pair_id from ours
    union distinct
    select settlement_date, settlement_period, unit_key, side, pair_id from elexon

)

select
    k.settlement_date,
    k.settlement_period,
    coalesce(our.bm_unit, elexon.bm_unit, k.unit_key) as bm_unit,
    k.unit_key,
    k.side,
    k.pair_id,
    coalesce(our.volume_mwh, 0) as our_volume_mwh,
    elexon.volume_mwh as elexon_volume_mwh,
    coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0) as volume_diff_mwh,
    coalesce(our.acceptance_count, 0) as acceptance_count,
    our.acceptances,
    abs(coalesce(our.volume_mwh, 0) - coalesce(elexon.volume_mwh, 0)) <= {{ tolerance_mwh }} as within_tolerance
from keys as k
left join ours as our
    on k.settlement_date = our.settlement_date
    and k.settlement_period = our.settlement_period
    and k.unit_key = our.unit_key
    and k.side = our.side
    and k.pair_id = our.pair_id
left join elexon
    on k.settlement_date = elexon.settlement_date
    and k.settlement_period = elexon.settlement_period
    and k.unit_key = elexon.unit_key
    and k.side = elexon.side
    and k.pair_id = elexon.pair_id
{{ pruning_order('k.settlement_date') }}
