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

-- units numbered 1..n (for integer sort keys)
unit_numbers as (

    select
        unit_key,
        row_number() over (order by unit_key) as unit_seq
    from (select distinct unit_key from acceptances) as u

),

-- acceptance order within each unit: acceptance time, then number
ordered_acceptances as (

    select
        a.unit_key,
        a.acceptance_number,
        u.unit_seq,
        row_number() over (order by a.unit_key, a.acceptance_time, a.acceptance_number) as acc_id,
        row_number() over (partition by a.unit_key order by a.acceptance_time, a.acceptance_number) as acceptance_seq
    from acceptances as a
    inner join unit_numbers as u
        on a.unit_key = u.unit_key

),

-- every settlement period (as a 30-minute slot number) an acceptance may touch, per unit
unit_slots as (

    select distinct
        unit_key,
        slot
    from (
        {{ acc_select_range('acceptances', ['unit_key'], 'floor(span_start_m / 30) - 1', 'floor(span_end_m / 30)', 'slot') }}
    ) as spanned

),

segments as (

    select
        o.acc_id,
        o.unit_seq,
        o.acceptance_seq,
        {{ acc_epoch_minutes('b.time_from') }} as tf_m,
        {{ acc_epoch_minutes('b.time_to') }} as tt_m,
        b.level_from,
        b.level_to,
        lead({{ acc_epoch_minutes('b.time_from') }}) over (
            partition by o.acc_id order by b.time_from, b.time_to
        ) as next_tf_m
    from boalf as b
    inner join ordered_acceptances as o
        on b.unit_key = o.unit_key
        and b.acceptance_number = o.acceptance_number

),

-- the whole minutes each segment supplies (a later-starting segment wins a shared minute)
segment_ranges as (

    select
        *,
        ceil(tf_m) as lo_m,
        case when next_tf_m is null then floor(tt_m) else least(floor(tt_m), ceil(next_tf_m) - 1) end as hi_m
    from segments

),

-- each segment's minutes cut at period boundaries (a boundary minute belongs to both periods)
segment_slots as (

    select
        acc_id,
        unit_seq,
        acceptance_seq,
        tf_m,
        tt_m,
        level_from,
        level_to,
        slot,
        cast(greatest(lo_m, slot * 30) as {{ int }}) as s_lo,
        cast(least(hi_m, slot * 30 + 30) as {{ int }}) as s_hi
    from (
        {{ acc_select_range('segment_ranges',
            ['acc_id', 'unit_seq', 'acceptance_seq', 'tf_m', 'tt_m', 'level_from', 'level_to', 'lo_m', 'hi_m'],
            'case when mod(cast(lo_m as ' ~ int ~ '), 30) = 0 then lo_m / 30 - 1 else floor(lo_m / 30) end',
            'floor(hi_m / 30)', 'slot') }}
    ) as expanded
    where lo_m <= hi_m
        and greatest(lo_m, slot * 30) <= least(hi_m, slot * 30 + 30)

),

pn as (

    select
        n.unit_seq,
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
    inner join unit_numbers as n
        on u.unit_key = n.unit_key
    where {{ acceptance_window('p.settlement_date') }}

),

-- the whole minutes of its period each PN segment supplies (disjoint within a unit-period)
pn_ranges as (

    select *
    from (
        select
            unit_seq,
            slot,
            tf_m,
            tt_m,
            level_from,
            level_to,
            cast(greatest(ceil(tf_m), slot * 30) as {{ int }}) as lo_m,
            cast(least(
                slot * 30 + 30,
                case when next_tf_m is null then floor(tt_m) else least(floor(tt_m), ceil(next_tf_m) - 1) end
            ) as {{ int }}) as hi_m
        from pn
    ) as r
    where lo_m <= hi_m

),

pn_neighbours as (

    select
        unit_seq,
        slot,
        lo_m,
        hi_m,
        lag(hi_m) over by_start as prev_hi,
        lead(lo_m) over by_start as next_lo
    from pn_ranges
    window by_start as (partition by unit_seq, slot order by lo_m)

),

-- FPN over every minute of every unit-period an acceptance touches: the PN ranges plus the gaps
-- between them (and whole periods without PN) with no FPN, so no acceptance minute is lost
fpn_ranges as (

    select unit_seq, slot, lo_m, hi_m, tf_m, tt_m, level_from, level_to
    from pn_ranges

    union all

    select unit_seq, slot, gap_lo as lo_m, gap_hi as hi_m,
        cast(null as {{ gbp_type('number') }}) as tf_m, cast(null as {{ gbp_type('number') }}) as tt_m,
        cast(null as {{ gbp_type('number') }}) as level_from, cast(null as {{ gbp_type('number') }}) as level_to
    from (
        select unit_seq, slot, coalesce(prev_hi + 1, slot * 30) as gap_lo, lo_m - 1 as gap_hi
        from pn_neighbours
        union all
        select unit_seq, slot, hi_m + 1 as gap_lo, slot * 30 + 30 as gap_hi
        from pn_neighbours
        where next_lo is null
    ) as gaps
    where gap_lo <= gap_hi

    union all

    select n.unit_seq, u.slot, u.slot * 30 as lo_m, u.slot * 30 + 30 as hi_m,
        cast(null as {{ gbp_type('number') }}) as tf_m, cast(null as {{ gbp_type('number') }}) as tt_m,
        cast(null as {{ gbp_type('number') }}) as level_from, cast(null as {{ gbp_type('number') }}) as level_to
    from unit_slots as u
    inner join unit_numbers as n
        on u.unit_key = n.unit_key
    left join (select distinct unit_seq, slot from pn_ranges) as has_pn
        on n.unit_seq = has_pn.unit_seq
        and u.slot = has_pn.slot
    where has_pn.unit_seq is null

),

-- pieces of a segment within one period over which both q_k and FPN are linear
pieces as (

    select
        s.acc_id,
        s.unit_seq,
        s.acceptance_seq,
        s.slot,
        s.tf_m,
        s.tt_m,
        s.level_from,
        s.level_to,
        f.tf_m as fpn_tf_m,
        f.tt_m as fpn_tt_m,
        f.level_from as fpn_from,
        f.level_to as fpn_to,
        greatest(s.s_lo, f.lo_m) as p_lo,
        least(s.s_hi, f.hi_m) as p_hi,
        b.first_slot
    from segment_slots as s
    cross join (select min(slot) as first_slot from unit_slots) as b
    inner join fpn_ranges as f
        on s.unit_seq = f.unit_seq
        and s.slot = f.slot
        and f.lo_m <= s.s_hi
        and f.hi_m >= s.s_lo

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

-- a unit-period is "flat" when each pair has one BOD row spanning the whole period at a constant
-- level (the usual case): its band edges are constants. Others go through breakpoints below.
bod_shapes as (

    select
        unit_key,
        slot,
        count(*) = count(distinct pair_id)
            and min(case when tf_m <= slot * 30 and tt_m >= slot * 30 + 30 and level_from = level_to then 1 else 0 end) = 1
            as is_flat
    from bod
    group by unit_key, slot

),

-- pieces that share a minute of the same period with another acceptance of the unit: only their
-- minutes need the acceptance-order window; elsewhere q_{k-1} is FPN
piece_overlaps as (

    select
        p.acc_id,
        p.slot,
        p.p_lo,
        max(case when o.acc_id is not null then 1 else 0 end) as shares_minutes
    from pieces as p
    left join pieces as o
        on p.unit_seq = o.unit_seq
        and p.slot = o.slot
        and p.acc_id <> o.acc_id
        and o.p_lo <= p.p_hi
        and o.p_hi >= p.p_lo
    group by p.acc_id, p.slot, p.p_lo

),

-- minutes are generated only for pieces that share minutes with other acceptances or whose period
-- has BOD bands changing inside it; the others are summed in closed form (piece_sums)
flagged_pieces as (

    select
        p.*,
        n.unit_key,
        o.shares_minutes,
        o.shares_minutes = 1 or coalesce(not bs.is_flat, false) as needs_minutes
    from pieces as p
    inner join piece_overlaps as o
        on p.acc_id = o.acc_id
        and p.slot = o.slot
        and p.p_lo = o.p_lo
    inner join unit_numbers as n
        on p.unit_seq = n.unit_seq
    left join bod_shapes as bs
        on n.unit_key = bs.unit_key
        and p.slot = bs.slot

),

minute_pieces as (

    select * from flagged_pieces where needs_minutes

),

-- a piece alone in its minutes: q_{k-1} = FPN, so the move d = q_k - FPN is linear over the piece
analytic_pieces as (

    select
        acc_id,
        unit_key,
        slot,
        p_lo as m_a,
        p_hi as m_b,
        p_hi - p_lo + 1 as n_spots,
        case when p_lo = slot * 30 then 1 else 0 end as h_a,
        case when p_hi = slot * 30 + 30 then 1 else 0 end as h_b,
        fpn_to is null as fpn_missing,
        case when tt_m > tf_m then level_from + (level_to - level_from) * (p_lo - tf_m) / (tt_m - tf_m) else level_to end
        - coalesce(
            case when fpn_tt_m > fpn_tf_m then fpn_from + (fpn_to - fpn_from) * (p_lo - fpn_tf_m) / (fpn_tt_m - fpn_tf_m)
                else fpn_to end,
            0
        ) as d_a,
        case when tt_m > tf_m then level_from + (level_to - level_from) * (p_hi - tf_m) / (tt_m - tf_m) else level_to end
        - coalesce(
            case when fpn_tt_m > fpn_tf_m then fpn_from + (fpn_to - fpn_from) * (p_hi - fpn_tf_m) / (fpn_tt_m - fpn_tf_m)
                else fpn_to end,
            0
        ) as d_b
    from flagged_pieces
    where not needs_minutes

),

piece_sums as (

    select
        *,
        n_spots - 0.5 * h_a - 0.5 * h_b as weight_total,
        n_spots * (d_a + d_b) / 2 - 0.5 * h_a * d_a - 0.5 * h_b * d_b as move_sum,
        {{ acc_relu_sum_w('0') }} as up_sum
    from (
        select
            *,
            case when m_b > m_a then (d_b - d_a) / (m_b - m_a) else 0 end as slope
        from analytic_pieces
    ) as sloped

),

spot_minutes as (

    select
        acc_id,
        unit_seq,
        acceptance_seq,
        slot,
        spot_minute,
        shares_minutes,
        first_slot,
        case when spot_minute = slot * 30 or spot_minute = slot * 30 + 30 then 0.5 else 1.0 end as weight,
        case
            when tt_m > tf_m
                then level_from + (level_to - level_from) * (spot_minute - tf_m) / (tt_m - tf_m)
            else level_to
        end as level,
        case
            when fpn_tt_m > fpn_tf_m
                then fpn_from + (fpn_to - fpn_from) * (spot_minute - fpn_tf_m) / (fpn_tt_m - fpn_tf_m)
            else fpn_to
        end as fpn
    from (
        {{ acc_select_range('minute_pieces',
            ['acc_id', 'unit_seq', 'acceptance_seq', 'slot', 'tf_m', 'tt_m', 'level_from', 'level_to',
             'fpn_tf_m', 'fpn_tt_m', 'fpn_from', 'fpn_to', 'first_slot', 'shares_minutes'],
            'p_lo', 'p_hi', 'spot_minute') }}
    ) as expanded

),

minutes_with_prev as (

    select
        acc_id,
        slot,
        spot_minute,
        weight,
        level,
        fpn,
        coalesce(fpn, 0) as prev_level
    from spot_minutes
    where shares_minutes = 0

    union all

    select
        acc_id,
        slot,
        spot_minute,
        weight,
        level,
        fpn,
        -- q_{k-1}: the previous acceptance active at the same minute of the same period, else FPN
        case
            when lag(minute_key) over unit_order = minute_key then lag(level) over unit_order
            else coalesce(fpn, 0)
        end as prev_level
    from (
        select
            *,
            -- integer keys: (unit, period, minute within it) and that plus the acceptance order
            unit_seq * 8388608 + (slot - first_slot) * 31 + (spot_minute - slot * 30) as minute_key,
            (unit_seq * 8388608 + (slot - first_slot) * 31 + (spot_minute - slot * 30)) * 1048576
                + acceptance_seq as order_key
        from spot_minutes
        where shares_minutes = 1
    ) as overlapping
    window unit_order as ({{ acc_unit_partition('unit_seq') }} order by order_key)

),

-- levels relative to FPN (FPN taken as 0 where none was submitted: status no_fpn)
minutes as (

    select
        acc_id,
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
        o.unit_key,
        o.acceptance_number,
        p.*
    from (
        select
            acc_id,
            slot,
            min(min_d) as min_d,
            max(max_d) as max_d,
            sum(up_mwh) as up_mwh,
            sum(down_mwh) as down_mwh,
            sum(spot_count) as spot_count,
            {{ acc_bool_or('fpn_missing') }} as fpn_missing
        from (
            select
                acc_id,
                slot,
                min(least(d_k, d_prev)) as min_d,
                max(greatest(d_k, d_prev)) as max_d,
                sum(weight * greatest(move, 0)) / 60 as up_mwh,
                sum(weight * least(move, 0)) / 60 as down_mwh,
                count(*) as spot_count,
                {{ acc_bool_or('fpn_missing') }} as fpn_missing
            from minutes
            group by acc_id, slot

            union all

            select
                acc_id,
                slot,
                least(d_a, d_b, 0) as min_d,
                greatest(d_a, d_b, 0) as max_d,
                up_sum / 60 as up_mwh,
                (move_sum - up_sum) / 60 as down_mwh,
                n_spots as spot_count,
                fpn_missing
            from piece_sums
        ) as parts
        group by acc_id, slot
    ) as p
    inner join ordered_acceptances as o
        on p.acc_id = o.acc_id

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

flat_widths as (

    select
        b.unit_key,
        b.slot,
        b.pair_id,
        b.side,
        cast(b.slot * 30 as {{ gbp_type('number') }}) as bp,
        b.level_from as width
    from bod as b
    inner join bod_shapes as s
        on b.unit_key = s.unit_key
        and b.slot = s.slot
    where s.is_flat

),

shaped_bod as (

    select
        b.*,
        case when b.tt_m > b.tf_m then b.level_from else b.level_to end as base_level,
        case when b.tt_m > b.tf_m then (b.level_to - b.level_from) / (b.tt_m - b.tf_m) else 0 end as slope
    from bod as b
    inner join bod_shapes as s
        on b.unit_key = s.unit_key
        and b.slot = s.slot
    where not s.is_flat

),

bod_breakpoints as (

    select distinct
        unit_key,
        slot,
        bp
    from (
        select unit_key, slot, least(greatest(tf_m, slot * 30), slot * 30 + 30) as bp from shaped_bod
        union all
        select unit_key, slot, least(greatest(tt_m, slot * 30), slot * 30 + 30) as bp from shaped_bod
        union all
        select unit_key, slot, slot * 30 as bp from shaped_bod
        union all
        select unit_key, slot, slot * 30 + 30 as bp from shaped_bod
    ) as points

),

-- each pair's band width (MW, signed) at each breakpoint of a shaped period
shaped_widths as (

    select
        p.unit_key,
        p.slot,
        p.pair_id,
        p.side,
        k.bp,
        coalesce({{ acc_arg_max('b.base_level + b.slope * (k.bp - b.tf_m)', 'b.tf_m') }}, 0) as width
    from (select distinct unit_key, slot, pair_id, side from shaped_bod) as p
    inner join bod_breakpoints as k
        on p.unit_key = k.unit_key
        and p.slot = k.slot
    left join shaped_bod as b
        on p.unit_key = b.unit_key
        and p.slot = b.slot
        and p.pair_id = b.pair_id
        and b.tf_m <= k.bp
        and b.tt_m >= k.bp
    group by p.unit_key, p.slot, p.pair_id, p.side, k.bp

),

pair_widths as (

    select * from flat_widths
    union all
    select * from shaped_widths

),

-- band edges relative to FPN: offer pairs stacked upward from 0, bid pairs downward (the outer edge
-- of pair n is the sum of the widths of pairs 1..n on its side)
pair_edges as (

    select
        n.unit_key,
        n.slot,
        n.pair_id,
        n.bp,
        case when n.side > 0 then sum(m.width) - n.width else sum(m.width) end as lower_edge,
        case when n.side > 0 then sum(m.width) else sum(m.width) - n.width end as upper_edge
    from pair_widths as n
    inner join pair_widths as m
        on n.unit_key = m.unit_key
        and n.slot = m.slot
        and n.bp = m.bp
        and n.side = m.side
        and n.side * m.pair_id <= n.side * n.pair_id
    group by n.unit_key, n.slot, n.pair_id, n.side, n.bp, n.width

),

edge_segments as (

    -- flat periods: one segment over the whole period, constant edges
    select
        e.unit_key,
        e.slot,
        e.pair_id,
        e.bp as seg_start,
        e.bp + 30 as seg_end,
        e.lower_edge as lower_start,
        e.lower_edge as lower_end,
        e.upper_edge as upper_start,
        e.upper_edge as upper_end
    from pair_edges as e
    inner join bod_shapes as s
        on e.unit_key = s.unit_key
        and e.slot = s.slot
    where s.is_flat

    union all

    select *
    from (
        select
            e.unit_key,
            e.slot,
            e.pair_id,
            e.bp as seg_start,
            lead(e.bp) over (partition by e.unit_key, e.slot, e.pair_id order by e.bp) as seg_end,
            e.lower_edge as lower_start,
            lead(e.lower_edge) over (partition by e.unit_key, e.slot, e.pair_id order by e.bp) as lower_end,
            e.upper_edge as upper_start,
            lead(e.upper_edge) over (partition by e.unit_key, e.slot, e.pair_id order by e.bp) as upper_end
        from pair_edges as e
        inner join bod_shapes as s
            on e.unit_key = s.unit_key
            and e.slot = s.slot
        where not s.is_flat
    ) as segs
    where seg_end is not null

),

pair_bounds as (

    select
        unit_key,
        slot,
        pair_id,
        min(lower_edge) as min_lower,
        max(lower_edge) as max_lower,
        min(upper_edge) as min_upper,
        max(upper_edge) as max_upper
    from pair_edges
    group by unit_key, slot, pair_id

),

candidates as (

    select
        a.acc_id,
        a.unit_key,
        a.slot,
        b.pair_id,
        -- the band holds both q_k and q_{k-1} at every minute: the whole move is in this pair
        b.max_lower <= a.min_d and b.min_upper >= a.max_d as holds_range,
        a.up_mwh,
        a.down_mwh
    from acceptance_periods as a
    inner join pair_bounds as b
        on a.unit_key = b.unit_key
        and a.slot = b.slot
    where b.max_upper > b.min_lower
        and b.min_lower < a.max_d
        and b.max_upper > a.min_d

),

-- acceptance-periods whose move lies inside one band need no per-minute work
held_periods as (

    select *
    from candidates
    where holds_range

),

candidate_edges as (

    select
        c.acc_id,
        c.slot,
        c.pair_id,
        e.seg_start,
        e.seg_end,
        e.seg_end = e.slot * 30 + 30 as is_last_segment,
        e.lower_start,
        (e.lower_end - e.lower_start) / (e.seg_end - e.seg_start) as lower_slope,
        e.upper_start,
        (e.upper_end - e.upper_start) / (e.seg_end - e.seg_start) as upper_slope
    from candidates as c
    inner join edge_segments as e
        on c.unit_key = e.unit_key
        and c.slot = e.slot
        and c.pair_id = e.pair_id
    left join held_periods as h
        on c.acc_id = h.acc_id
        and c.slot = h.slot
    where h.acc_id is null

),

pair_minutes as (

    select
        m.acc_id,
        m.slot,
        c.pair_id,
        m.weight,
        m.d_k,
        m.d_prev,
        c.lower_start + c.lower_slope * (m.spot_minute - c.seg_start) as lower_edge,
        c.upper_start + c.upper_slope * (m.spot_minute - c.seg_start) as upper_edge
    from minutes as m
    inner join candidate_edges as c
        on m.acc_id = c.acc_id
        and m.slot = c.slot
    where m.spot_minute >= c.seg_start
        and (m.spot_minute < c.seg_end or (m.spot_minute = c.seg_end and c.is_last_segment))

),

pair_volumes as (

    select
        o.unit_key,
        o.acceptance_number,
        v.slot,
        v.pair_id,
        v.offer_volume_mwh,
        v.bid_volume_mwh
    from (
        select
            acc_id,
            slot,
            pair_id,
            sum(offer_volume_mwh) as offer_volume_mwh,
            sum(bid_volume_mwh) as bid_volume_mwh
        from (
            select
                acc_id,
                slot,
                pair_id,
                sum(weight * greatest(least(upper_edge, d_k) - greatest(lower_edge, d_prev), 0)) / 60
                    as offer_volume_mwh,
                sum(weight * least(greatest(lower_edge, d_k) - least(upper_edge, d_prev), 0)) / 60
                    as bid_volume_mwh
            from pair_minutes
            group by acc_id, slot, pair_id

            union all

            -- pieces alone in their minutes, flat bands: offer band [L, U] above FPN takes
            -- sum(w * (clamp(d, L, U) - L)), a bid band below FPN sum(w * (clamp(d, L, U) - U))
            select
                s.acc_id,
                s.slot,
                c.pair_id,
                case
                    when c.pair_id > 0
                        then ({{ acc_relu_sum_w('e.lower_edge', 's') }} - {{ acc_relu_sum_w('e.upper_edge', 's') }}) / 60
                    else 0
                end as offer_volume_mwh,
                case
                    when c.pair_id < 0
                        then ({{ acc_relu_sum_w('e.lower_edge', 's') }} - {{ acc_relu_sum_w('e.upper_edge', 's') }}
                            - (e.upper_edge - e.lower_edge) * s.weight_total) / 60
                    else 0
                end as bid_volume_mwh
            from piece_sums as s
            inner join candidates as c
                on s.acc_id = c.acc_id
                and s.slot = c.slot
            inner join pair_edges as e
                on c.unit_key = e.unit_key
                and c.slot = e.slot
                and c.pair_id = e.pair_id
            left join held_periods as h
                on s.acc_id = h.acc_id
                and s.slot = h.slot
            where h.acc_id is null
        ) as per_piece
        group by acc_id, slot, pair_id

        union all

        select
            acc_id,
            slot,
            pair_id,
            up_mwh as offer_volume_mwh,
            down_mwh as bid_volume_mwh
        from held_periods
    ) as v
    inner join ordered_acceptances as o
        on v.acc_id = o.acc_id

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
