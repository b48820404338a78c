{#- Priced acceptances by the BSC Section T method (docs/acceptances.md; design.md section 6).

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
      5. volume outside every submitted band stays visible as a pair_id 0 row (no_bod/outside_bod).
    Units are joined on coalesce(national_grid_bm_unit, bm_unit) on every side.

    The steps are the macros of macros/acceptances/engine_*.sql (each defines the CTEs it names in
    its header, from the CTEs of the steps before it); the rules they share are in engine_rules.sql.
    They are macros rather than intermediate models so that this model keeps BOALF, BOD, PN and the
    calendar as its direct inputs: the dbt unit tests give those rows and check the whole engine. -#}
{{ config(**acceptance_incremental_config(['settlement_date', 'settlement_period', 'bm_unit', 'acceptance_number', 'pair_id'])) }}

{%- set sentinel = var('sentinel_price_abs', 9999) -%}

with

{{ acceptance_profiles() }},

{{ acceptance_fpn_pieces() }},

{{ acceptance_pair_bands() }},

{{ acceptance_minutes() }},

{{ acceptance_pair_volumes() }},

priced as (

    select
        c.settlement_date,
        c.settlement_period,
        c.start_time_utc,
        coalesce(a.bm_unit, a.national_grid_bm_unit) as bm_unit,
        a.national_grid_bm_unit,
        v.acceptance_number,
        v.pair_id,
        a.acceptance_time,
        v.offer_volume_mwh,
        v.bid_volume_mwh,
        p.offer_price,
        p.bid_price,
        (v.offer_volume_mwh <> 0 and abs(p.offer_price) >= {{ sentinel }})
            or (v.bid_volume_mwh <> 0 and abs(p.bid_price) >= {{ sentinel }}) as has_sentinel,
        v.residual_status,
        ap.fpn_missing,
        a.so_flag,
        a.stor_flag,
        a.rr_flag,
        a.deemed_bo_flag
    from volume_rows as v
    inner join acceptances as a
        on v.unit_key = a.unit_key
        and v.acceptance_number = a.acceptance_number
    inner join acceptance_periods as ap
        on v.unit_key = ap.unit_key
        and v.acceptance_number = ap.acceptance_number
        and v.slot = ap.slot
    inner join calendar as c
        on v.slot = c.slot
    left join bod_pairs as p
        on v.unit_key = p.unit_key
        and v.slot = p.slot
        and v.pair_id = p.pair_id

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
        when residual_status is not null then residual_status
        when has_sentinel then 'sentinel_price'
        else 'priced'
    end as pricing_status
from priced
where {{ acceptance_window('settlement_date') }}
