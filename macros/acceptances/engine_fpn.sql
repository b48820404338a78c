{#- Step 2 of the acceptance engine (boalf_complete; docs/acceptances.md): FPN, and the pieces on
    which both q_k and FPN are linear.

    Needs (acceptance_profiles): calendar, unit_slots, unit_numbers, segment_slots.
    CTEs defined: pn (the PN segments of the unit-periods an acceptance touches), pn_ranges (the whole
    minutes of its period each PN segment supplies), pn_neighbours, fpn_ranges (every minute of those
    unit-periods: PN ranges plus the gaps with no FPN, so no acceptance minute is lost) and pieces
    (a BOALF segment within one period and one FPN range). -#}
{% macro acceptance_fpn_pieces() -%}
{%- set int = gbp_type('integer') -%}
pn as (

    select
        n.unit_seq,
        c.slot,
        {{ acc_epoch_minutes('p.time_from') }} as tf_m,
        {{ acc_epoch_minutes('p.time_to') }} as tt_m,
        p.level_from,
        p.level_to,
        {{ acc_next_segment_start('p', acc_unit_key('p') ~ ', c.slot') }} as next_tf_m
    from {{ ref('bmrs_pn_unified') }} as p
    inner join calendar as c
        on p.settlement_date = c.settlement_date
        and p.settlement_period = c.settlement_period
    inner join unit_slots as u
        on {{ acc_unit_key('p') }} = u.unit_key
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
                {{ acc_last_own_minute() }}
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

    select unit_seq, slot, gap_lo as lo_m, gap_hi as hi_m, {{ acc_no_fpn_columns() }}
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

    select n.unit_seq, u.slot, u.slot * 30 as lo_m, u.slot * 30 + 30 as hi_m, {{ acc_no_fpn_columns() }}
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

)
{%- endmacro %}
