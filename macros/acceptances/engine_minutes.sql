{#- Step 4 of the acceptance engine (boalf_complete; docs/acceptances.md): each acceptance's move
    q_k - q_{k-1} per period, integrated over the spot minutes (trapezoid rule, MW x min / 60 = MWh).

    Needs: pieces, unit_numbers, ordered_acceptances (acceptance_profiles, acceptance_fpn_pieces),
    bod_shapes (acceptance_pair_bands).
    CTEs defined: piece_overlaps, flagged_pieces (needs_minutes: the piece shares minutes with
    another acceptance of the unit, or its period's BOD changes inside it), minute_pieces,
    analytic_pieces / piece_sums (pieces alone in their minutes: q_{k-1} = FPN and the move is
    linear, so their sums are taken in closed form), spot_minutes, minutes_with_prev (q_{k-1}: the
    previous acceptance active at the same minute, else FPN), minutes (levels relative to FPN) and
    acceptance_periods (per acceptance and period: range of levels, up/down MWh, no_fpn flag). -#}
{% macro acceptance_minutes() -%}
-- pieces that share a minute of the same period with another acceptance of the unit: only their
-- minutes need the acceptance-order window; elsewhere q_{k-1} is FPN
piece_overlaps as (

    select
        piece.acc_id,
        piece.slot,
        piece.p_lo,
        max(case when other.acc_id is not null then 1 else 0 end) as shares_minutes
    from pieces as piece
    left join pieces as other
        on piece.unit_seq = other.unit_seq
        and piece.slot = other.slot
        and piece.acc_id <> other.acc_id
        and other.p_lo <= piece.p_hi
        and other.p_hi >= piece.p_lo
    group by piece.acc_id, piece.slot, piece.p_lo

),

-- minutes are generated only for pieces that share minutes with other acceptances or whose period
-- has BOD bands changing inside it; the others are summed in closed form (piece_sums). Exact mode:
-- every piece gets its minutes and goes through the acceptance-order window.
flagged_pieces as (

    select
        piece.*,
        numbered.unit_key,
        {% if acc_exact_mode() -%}
        1 as shares_minutes,
        true as needs_minutes
        {%- else -%}
        overlap_flag.shares_minutes,
        overlap_flag.shares_minutes = 1 or coalesce(not shape.is_flat, false) as needs_minutes
        {%- endif %}
    from pieces as piece
    inner join piece_overlaps as overlap_flag
        on piece.acc_id = overlap_flag.acc_id
        and piece.slot = overlap_flag.slot
        and piece.p_lo = overlap_flag.p_lo
    inner join unit_numbers as numbered
        on piece.unit_seq = numbered.unit_seq
    left join bod_shapes as shape
        on numbered.unit_key = shape.unit_key
        and piece.slot = shape.slot

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
        {{ acc_linear_at('p_lo') }} - coalesce({{ acc_fpn_at('p_lo') }}, 0) as d_a,
        {{ acc_linear_at('p_hi') }} - coalesce({{ acc_fpn_at('p_hi') }}, 0) as d_b
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
        {{ acc_linear_at('spot_minute') }} as level,
        {{ acc_fpn_at('spot_minute') }} as fpn
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
            unit_seq * {{ acc_minute_key_unit_stride() }} + (slot - first_slot) * 31 + (spot_minute - slot * 30)
                as minute_key,
            (unit_seq * {{ acc_minute_key_unit_stride() }} + (slot - first_slot) * 31 + (spot_minute - slot * 30))
                * {{ acc_order_key_stride() }}
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
        ordered.unit_key,
        ordered.acceptance_number,
        totals.*
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
    ) as totals
    inner join ordered_acceptances as ordered
        on totals.acc_id = ordered.acc_id

)
{%- endmacro %}

{#- FPN at minute `at` on a piece (its PN segment's columns fpn_tf_m, fpn_tt_m, fpn_from, fpn_to). -#}
{% macro acc_fpn_at(at) -%}
    {{ acc_linear_at(at, 'fpn_tf_m', 'fpn_tt_m', 'fpn_from', 'fpn_to') }}
{%- endmacro %}
