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
    Units are joined on coalesce(national_grid_bm_unit, bm_unit) on every side. -#}
{{ config(**acceptance_incremental_config(['settlement_date', 'settlement_period', 'bm_unit', 'acceptance_number', 'pair_id'])) }}

{%- set int = gbp_type('integer') -%}
{%- set sentinel = var('sentinel_price_abs', 9999) -%}

with

calendar as (

    select
        settlement_date,
        settlement_period,
        start_time_utc,
        cast(floor({{ acc_epoch_minutes('start_time_utc') }} / 30) as {{ int }}) as slot
    from {{ ref('int_settlement_periods') }}
    where {{ acceptance_window('settlement_date', 1) }}

),

boalf as (

    select
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        bm_unit,
        national_grid_bm_unit,
        acceptance_number,
        acceptance_time,
        time_from,
        time_to,
        level_from,
        level_to,
        deemed_bo_flag,
        so_flag,
        stor_flag,
        rr_flag
    from {{ ref('bmrs_boalf_unified') }}
    where {{ acceptance_window('settlement_date', 1) }}
        and coalesce(national_grid_bm_unit, bm_unit) is not null

),

acceptances as (

    select
        unit_key,
        acceptance_number,
        max(acceptance_time) as acceptance_time,
        max(bm_unit) as bm_unit,
        max(national_grid_bm_unit) as national_grid_bm_unit,
        {{ acc_bool_or('so_flag') }} as so_flag,
        {{ acc_bool_or('stor_flag') }} as stor_flag,
        {{ acc_bool_or('rr_flag') }} as rr_flag,
        {{ acc_bool_or('deemed_bo_flag') }} as deemed_bo_flag,
        min({{ acc_epoch_minutes('time_from') }}) as span_start_m,
        max({{ acc_epoch_minutes('time_to') }}) as span_end_m
    from boalf
    group by unit_key, acceptance_number

),

-- every settlement period (as a 30-minute slot number) an acceptance may touch, per unit
unit_slots as (

    select distinct
        unit_key,
        slot
    from acceptances
    cross join {{ acc_int_range('floor(span_start_m / 30) - 1', 'floor(span_end_m / 30)', 'slot') }}

),

segments as (

    select
        unit_key,
        acceptance_number,
        {{ acc_epoch_minutes('time_from') }} as tf_m,
        {{ acc_epoch_minutes('time_to') }} as tt_m,
        level_from,
        level_to,
        lead({{ acc_epoch_minutes('time_from') }}) over (
            partition by unit_key, acceptance_number order by time_from, time_to
        ) as next_tf_m
    from boalf

),

-- q_k at each whole minute the acceptance covers
spot_levels as (

    select
        unit_key,
        acceptance_number,
        spot_minute,
        case
            when tt_m > tf_m
                then level_from + (level_to - level_from) * (spot_minute - tf_m) / (tt_m - tf_m)
            else level_to
        end as level
    from segments
    cross join {{ acc_int_range(
        'ceil(tf_m)',
        'case when next_tf_m is null then floor(tt_m) else least(floor(tt_m), ceil(next_tf_m) - 1) end',
        'spot_minute') }}

),

boundary_sides as (

    select 0 as side
    union all
    select 1 as side

),

acceptance_minutes as (

    select
        l.unit_key,
        l.acceptance_number,
        a.acceptance_time,
        cast(floor(l.spot_minute / 30) as {{ int }}) - s.side as slot,
        l.spot_minute,
        case when mod(l.spot_minute, 30) = 0 then 0.5 else 1.0 end as weight,
        l.level
    from spot_levels as l
    inner join acceptances as a
        on l.unit_key = a.unit_key
        and l.acceptance_number = a.acceptance_number
    cross join boundary_sides as s
    where s.side = 0 or mod(l.spot_minute, 30) = 0

),

pn as (

    select
        coalesce(p.national_grid_bm_unit, p.bm_unit) as unit_key,
        c.slot,
        {{ acc_epoch_minutes('p.time_from') }} as tf_m,
        {{ acc_epoch_minutes('p.time_to') }} as tt_m,
        p.level_from,
        p.level_to,
        lead({{ acc_epoch_minutes('p.time_from') }}) over (
            partition by coalesce(p.national_grid_bm_unit, p.bm_unit), c.slot order by p.time_from, p.time_to
        ) as next_tf_m
    from {{ ref('bmrs_pn_unified') }} as p
    inner join calendar as c
        on p.settlement_date = c.settlement_date
        and p.settlement_period = c.settlement_period
    inner join unit_slots as u
        on coalesce(p.national_grid_bm_unit, p.bm_unit) = u.unit_key
        and c.slot = u.slot
    where {{ acceptance_window('p.settlement_date') }}

),

fpn_minutes as (

    select
        unit_key,
        slot,
        spot_minute,
        case
            when tt_m > tf_m
                then level_from + (level_to - level_from) * (spot_minute - tf_m) / (tt_m - tf_m)
            else level_to
        end as fpn
    from pn
    cross join {{ acc_int_range(
        'greatest(ceil(tf_m), slot * 30)',
        'least(slot * 30 + 30, case when next_tf_m is null then floor(tt_m) else least(floor(tt_m), ceil(next_tf_m) - 1) end)',
        'spot_minute') }}

),

minutes_with_prev as (

    select
        m.unit_key,
        m.acceptance_number,
        m.slot,
        m.spot_minute,
        m.weight,
        m.level,
        f.fpn,
        coalesce(
            lag(m.level) over (
                partition by m.unit_key, m.slot, m.spot_minute
                order by m.acceptance_time, m.acceptance_number
            ),
            f.fpn,
            0
        ) as prev_level
    from acceptance_minutes as m
    left join fpn_minutes as f
        on m.unit_key = f.unit_key
        and m.slot = f.slot
        and m.spot_minute = f.spot_minute

),

-- levels relative to FPN (FPN taken as 0 where none was submitted: status no_fpn)
minutes as (

    select
        unit_key,
        acceptance_number,
        slot,
        spot_minute,
        weight,
        fpn is null as fpn_missing,
        level - coalesce(fpn, 0) as d_k,
        prev_level - coalesce(fpn, 0) as d_prev,
        level - prev_level as move
    from minutes_with_prev

),

acceptance_periods as (

    select
        unit_key,
        acceptance_number,
        slot,
        min(least(d_k, d_prev)) as min_d,
        max(greatest(d_k, d_prev)) as max_d,
        sum(weight * greatest(move, 0)) / 60 as up_mwh,
        sum(weight * least(move, 0)) / 60 as down_mwh,
        count(*) as spot_count,
        {{ acc_bool_or('fpn_missing') }} as fpn_missing
    from minutes
    group by unit_key, acceptance_number, slot

),

bod as (

    select
        coalesce(b.national_grid_bm_unit, b.bm_unit) as unit_key,
        c.slot,
        b.pair_id,
        case when b.pair_id > 0 then 1 else -1 end as side,
        {{ acc_epoch_minutes('b.time_from') }} as tf_m,
        {{ acc_epoch_minutes('b.time_to') }} as tt_m,
        case when b.pair_id > 0 then greatest(b.level_from, 0) else least(b.level_from, 0) end as level_from,
        case when b.pair_id > 0 then greatest(b.level_to, 0) else least(b.level_to, 0) end as level_to,
        b.offer_price,
        b.bid_price
    from {{ ref('bmrs_bod_unified') }} as b
    inner join calendar as c
        on b.settlement_date = c.settlement_date
        and b.settlement_period = c.settlement_period
    inner join unit_slots as u
        on coalesce(b.national_grid_bm_unit, b.bm_unit) = u.unit_key
        and c.slot = u.slot
    where {{ acceptance_window('b.settlement_date') }}
        and b.pair_id <> 0

),

bod_breakpoints as (

    select distinct
        unit_key,
        slot,
        bp
    from (
        select unit_key, slot, least(greatest(tf_m, slot * 30), slot * 30 + 30) as bp from bod
        union all
        select unit_key, slot, least(greatest(tt_m, slot * 30), slot * 30 + 30) as bp from bod
        union all
        select unit_key, slot, slot * 30 as bp from bod
        union all
        select unit_key, slot, slot * 30 + 30 as bp from bod
    ) as points

),

bod_pairs as (

    select
        unit_key,
        slot,
        pair_id,
        side,
        {{ acc_arg_max('offer_price', 'tf_m') }} as offer_price,
        {{ acc_arg_max('bid_price', 'tf_m') }} as bid_price
    from bod
    group by unit_key, slot, pair_id, side

),

-- each pair's band width (MW, signed) at each breakpoint of its period
pair_widths as (

    select
        p.unit_key,
        p.slot,
        p.pair_id,
        p.side,
        k.bp,
        coalesce({{ acc_arg_max(
            'case when b.tt_m > b.tf_m then b.level_from + (b.level_to - b.level_from) * (k.bp - b.tf_m) / (b.tt_m - b.tf_m) else b.level_to end',
            'b.tf_m') }}, 0) as width
    from bod_pairs as p
    inner join bod_breakpoints as k
        on p.unit_key = k.unit_key
        and p.slot = k.slot
    left join bod as b
        on p.unit_key = b.unit_key
        and p.slot = b.slot
        and p.pair_id = b.pair_id
        and b.tf_m <= k.bp
        and b.tt_m >= k.bp
    group by p.unit_key, p.slot, p.pair_id, p.side, k.bp

),

-- band edges relative to FPN: offer pairs stacked upward from 0, bid pairs downward
pair_edges as (

    select
        unit_key,
        slot,
        pair_id,
        bp,
        case when side > 0 then outer_edge - width else outer_edge end as lower_edge,
        case when side > 0 then outer_edge else outer_edge - width end as upper_edge
    from (
        select
            *,
            sum(width) over (
                partition by unit_key, slot, bp, side
                order by side * pair_id
                rows between unbounded preceding and current row
            ) as outer_edge
        from pair_widths
    ) as stacked

),

edge_segments as (

    select *
    from (
        select
            unit_key,
            slot,
            pair_id,
            bp as seg_start,
            lead(bp) over (partition by unit_key, slot, pair_id order by bp) as seg_end,
            lower_edge as lower_start,
            lead(lower_edge) over (partition by unit_key, slot, pair_id order by bp) as lower_end,
            upper_edge as upper_start,
            lead(upper_edge) over (partition by unit_key, slot, pair_id order by bp) as upper_end
        from pair_edges
    ) as segs
    where seg_end is not null

),

pair_bounds as (

    select
        unit_key,
        slot,
        pair_id,
        min(lower_edge) as min_lower,
        max(upper_edge) as max_upper
    from pair_edges
    group by unit_key, slot, pair_id

),

candidates as (

    select
        a.unit_key,
        a.acceptance_number,
        a.slot,
        b.pair_id
    from acceptance_periods as a
    inner join pair_bounds as b
        on a.unit_key = b.unit_key
        and a.slot = b.slot
    where b.max_upper > b.min_lower
        and b.min_lower < a.max_d
        and b.max_upper > a.min_d

),

pair_minutes as (

    select
        m.unit_key,
        m.acceptance_number,
        m.slot,
        c.pair_id,
        m.weight,
        m.d_k,
        m.d_prev,
        e.lower_start + (e.lower_end - e.lower_start) * (m.spot_minute - e.seg_start) / (e.seg_end - e.seg_start)
            as lower_edge,
        e.upper_start + (e.upper_end - e.upper_start) * (m.spot_minute - e.seg_start) / (e.seg_end - e.seg_start)
            as upper_edge
    from minutes as m
    inner join candidates as c
        on m.unit_key = c.unit_key
        and m.acceptance_number = c.acceptance_number
        and m.slot = c.slot
    inner join edge_segments as e
        on c.unit_key = e.unit_key
        and c.slot = e.slot
        and c.pair_id = e.pair_id
        and m.spot_minute >= e.seg_start
        and (m.spot_minute < e.seg_end or (m.spot_minute = e.seg_end and e.seg_end = e.slot * 30 + 30))

),

pair_volumes as (

    select
        unit_key,
        acceptance_number,
        slot,
        pair_id,
        sum(weight * greatest(least(upper_edge, d_k) - greatest(lower_edge, d_prev), 0)) / 60
            as offer_volume_mwh,
        sum(weight * least(greatest(lower_edge, d_k) - least(upper_edge, d_prev), 0)) / 60
            as bid_volume_mwh
    from pair_minutes
    group by unit_key, acceptance_number, slot, pair_id

),

kept_pairs as (

    select *
    from pair_volumes
    where abs(offer_volume_mwh) >= 5e-7 or abs(bid_volume_mwh) >= 5e-7

),

pair_totals as (

    select
        unit_key,
        acceptance_number,
        slot,
        sum(offer_volume_mwh) as offer_volume_mwh,
        sum(bid_volume_mwh) as bid_volume_mwh,
        count(*) as pair_rows
    from pair_volumes
    where abs(offer_volume_mwh) >= 5e-7 or abs(bid_volume_mwh) >= 5e-7
    group by unit_key, acceptance_number, slot

),

slots_with_bod as (

    select distinct
        unit_key,
        slot
    from pair_bounds
    where max_upper > min_lower

),

-- volume no submitted band covers (or an acceptance-period with no volume at all): pair_id 0
residuals as (

    select
        a.unit_key,
        a.acceptance_number,
        a.slot,
        0 as pair_id,
        greatest(a.up_mwh - coalesce(t.offer_volume_mwh, 0), 0) as offer_volume_mwh,
        least(a.down_mwh - coalesce(t.bid_volume_mwh, 0), 0) as bid_volume_mwh,
        case when w.unit_key is null then 'no_bod' else 'outside_bod' end as residual_status,
        coalesce(t.pair_rows, 0) as pair_rows,
        a.spot_count
    from acceptance_periods as a
    left join pair_totals as t
        on a.unit_key = t.unit_key
        and a.acceptance_number = t.acceptance_number
        and a.slot = t.slot
    left join slots_with_bod as w
        on a.unit_key = w.unit_key
        and a.slot = w.slot

),

volume_rows as (

    select
        unit_key,
        acceptance_number,
        slot,
        pair_id,
        offer_volume_mwh,
        bid_volume_mwh,
        cast(null as {{ gbp_type('string') }}) as residual_status
    from kept_pairs

    union all

    select
        unit_key,
        acceptance_number,
        slot,
        pair_id,
        case when offer_volume_mwh > 1e-6 then offer_volume_mwh else 0 end as offer_volume_mwh,
        case when bid_volume_mwh < -1e-6 then bid_volume_mwh else 0 end as bid_volume_mwh,
        case
            when offer_volume_mwh > 1e-6 or bid_volume_mwh < -1e-6 then residual_status
            else 'no_volume'
        end as residual_status
    from residuals
    where offer_volume_mwh > 1e-6
        or bid_volume_mwh < -1e-6
        or (pair_rows = 0 and spot_count >= 2)

),

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
    cast(pair_id as {{ int }}) as pair_id,
    acceptance_time,
    round(offer_volume_mwh, 6) as offer_volume_mwh,
    round(bid_volume_mwh, 6) as bid_volume_mwh,
    offer_price,
    bid_price,
    case
        when pair_id = 0 or has_sentinel then null
        else round(round(offer_volume_mwh, 6) * offer_price + round(bid_volume_mwh, 6) * bid_price, 6)
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
