{#- Priced acceptances by the BSC Section T method (docs/acceptances.md, "The method").

    One row per (settlement date, period, BM unit, acceptance, pair). Steps:
      1. spot levels: each acceptance's BOALF segments are evaluated at every whole minute they
         cover (a later-starting segment wins a shared minute), and every spot minute is assigned to
         its settlement period (a minute on a period boundary belongs to both, with weight 1/2 in
         each: the trapezoid rule over whole minutes);
      2. FPN at the same minutes from the period's PN segments; q_{k-1} is the level of the previous
         acceptance (acceptance time, then number) active at that minute, else FPN;
      3. BOD pair bands stacked outward from FPN, evaluated at the period's BOD breakpoints (edges
         are piecewise linear between them); only pairs whose band can meet the acceptance's range
         [min q, max q] in the period are joined back to the minutes;
      4. offer volume = max(min(upper, q_k) - max(lower, q_{k-1}), 0), bid volume =
         min(max(lower, q_k) - min(upper, q_{k-1}), 0), integrated over the minutes (MW x min / 60);
      5. volume outside every submitted band stays visible as a pair_id 0 row (no_bod/outside_bod);
      6. for acceptances with deemedBoFlag, that pair_id 0 row is priced at the deemed pairs' price
         (BSC T3.4B) read from ISPSTACK's originalPrice (priced_deemed_from_stack), else it says the
         price is not in our inputs (deemed_price_unknown); only deemed acceptances reach the stack.
    Units are joined on coalesce(national_grid_bm_unit, bm_unit) on every side.

    The inputs are the import CTEs at the top (one ref each); the steps are the macros of
    macros/acceptances/engine_*.sql, which take those CTE names as arguments and define the CTEs
    they name in their headers from the CTEs of the steps before them; the rules they share are in
    engine_rules.sql. They are macros rather than intermediate models so that this model keeps BOALF,
    BOD, PN, the calendar and the settlement stack as its direct inputs: the dbt unit tests give
    those rows and check the whole engine. var acceptances_exact_mode (dbt_project.yml) sends every piece through the plain
    per-minute path (engine_rules.sql: acc_exact_mode); the default takes the speed-ups. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'bm_unit', 'acceptance_number', 'pair_id'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

{%- set sentinel = var('sentinel_price_abs', 9999) -%}

with

-- inputs: the engine macros below read these CTEs only (they call no ref() themselves)
boalf_input as (select * from {{ ref('bmrs_boalf_unified') }}),

bod_input as (select * from {{ ref('bmrs_bod_unified') }}),

pn_input as (select * from {{ ref('bmrs_pn_unified') }}),

settlement_periods_input as (select * from {{ ref('int_settlement_periods') }}),

stack_input as (select * from {{ ref('bmrs_ispstack_unified') }}),

{{ acceptance_profiles(boalf='boalf_input', settlement_periods='settlement_periods_input') }},

{{ acceptance_fpn_pieces(pn='pn_input') }},

{{ acceptance_pair_bands(bod='bod_input') }},

{{ acceptance_minutes() }},

{{ acceptance_pair_volumes() }},

{{ acceptance_deemed_prices(stack='stack_input') }},

priced as (

    select
        calendar.settlement_date,
        calendar.settlement_period,
        calendar.start_time_utc,
        coalesce(acceptance.bm_unit, acceptance.national_grid_bm_unit) as bm_unit,
        acceptance.national_grid_bm_unit,
        volume.acceptance_number,
        volume.pair_id,
        acceptance.acceptance_time,
        volume.offer_volume_mwh,
        volume.bid_volume_mwh,
        -- BOD prices for submitted pairs; a pair_id 0 row of a deemed acceptance: the stack's deemed price
        coalesce(prices.offer_price, deemed.offer_price) as offer_price,
        coalesce(prices.bid_price, deemed.bid_price) as bid_price,
        -- volume beyond the pairs that T3.4B deems pairs for: priced when the stack has every side's price
        volume.pair_id = 0
            and acceptance.deemed_bo_flag
            and volume.residual_status in ('outside_bod', 'no_bod') as is_deemed_residual,
        deemed.unit_key is not null
            and (volume.offer_volume_mwh = 0 or deemed.offer_price is not null)
            and (volume.bid_volume_mwh = 0 or deemed.bid_price is not null) as has_deemed_price,
        (volume.offer_volume_mwh <> 0 and abs(prices.offer_price) >= {{ sentinel }})
            or (volume.bid_volume_mwh <> 0 and abs(prices.bid_price) >= {{ sentinel }}) as has_sentinel,
        volume.residual_status,
        acceptance_period.fpn_missing,
        acceptance.so_flag,
        acceptance.stor_flag,
        acceptance.rr_flag,
        acceptance.deemed_bo_flag
    from volume_rows as volume
    inner join acceptances as acceptance
        on volume.unit_key = acceptance.unit_key
        and volume.acceptance_number = acceptance.acceptance_number
    inner join acceptance_periods as acceptance_period
        on volume.unit_key = acceptance_period.unit_key
        and volume.acceptance_number = acceptance_period.acceptance_number
        and volume.slot = acceptance_period.slot
    inner join calendar
        on volume.slot = calendar.slot
    left join bod_pairs as prices
        on volume.unit_key = prices.unit_key
        and volume.slot = prices.slot
        and volume.pair_id = prices.pair_id
    -- deemed_prices holds only acceptances with deemedBoFlag that the stack lists (usually none)
    left join deemed_prices as deemed
        on volume.unit_key = deemed.unit_key
        and volume.acceptance_number = deemed.acceptance_number
        and volume.slot = deemed.slot
        and volume.pair_id = 0

)

select
    settlement_date,
    settlement_period,
    start_time_utc,
    bm_unit,
    national_grid_bm_unit,
    acceptance_number,
    cast(pair_id as {{ gbp_type('integer') }}) as pair_id,
    acceptance_time,
    -- rounded to 1 Wh; "+ 0.0" turns a rounded -0.0 into 0.0
    round(offer_volume_mwh, 6) + 0.0 as offer_volume_mwh,
    round(bid_volume_mwh, 6) + 0.0 as bid_volume_mwh,
    offer_price,
    bid_price,
    case
        when is_deemed_residual and has_deemed_price
            then round(
                case when offer_volume_mwh <> 0 then round(offer_volume_mwh, 6) * offer_price else 0 end
                + case when bid_volume_mwh <> 0 then round(bid_volume_mwh, 6) * bid_price else 0 end, 6
            ) + 0.0
        when pair_id = 0 or has_sentinel then null
        else round(round(offer_volume_mwh, 6) * offer_price + round(bid_volume_mwh, 6) * bid_price, 6) + 0.0
    end as cashflow_gbp,
    so_flag,
    stor_flag,
    rr_flag,
    deemed_bo_flag,
    case
        when rr_flag then 'rr_excluded'
        when fpn_missing then 'no_fpn'
        when is_deemed_residual and has_deemed_price then 'priced_deemed_from_stack'
        when is_deemed_residual then 'deemed_price_unknown'
        when residual_status is not null then residual_status
        when has_sentinel then 'sentinel_price'
        else 'priced'
    end as pricing_status
from priced
where {{ incremental_window('settlement_date') }}
{{ pruning_order() }}
