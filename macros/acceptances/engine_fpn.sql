{#- Step 2 of the acceptance engine (boalf_complete; docs/acceptances.md): FPN, and the pieces on
    which both q_k and FPN are linear.

    Arguments: pn (a relation or CTE with the columns of bmrs_pn_unified).
    Needs (acceptance_profiles): calendar, unit_slots, unit_numbers, segment_slots.
    CTEs defined: pn (the PN segments of the unit-periods an acceptance touches), pn_ranges (the whole
    minutes of its period each PN segment supplies), pn_neighbours, fpn_ranges (every minute of those
    unit-periods: PN ranges plus the gaps with no FPN, so no acceptance minute is lost) and pieces
    (a BOALF segment within one period and one FPN range). -#}
{% macro acceptance_fpn_pieces(pn) -%}
{%- set int = gbp_type('integer') -%}
pn as (

    select
        numbered.unit_seq,
        calendar.slot,
        {{ acc_epoch_minutes('pn_row.time_from') }} as tf_m,
        {{ acc_epoch_minutes('pn_row.time_to') }} as tt_m,
        pn_row.level_from,
        pn_row.level_to,
        {{ acc_next_segment_start('pn_row', acc_unit_key('pn_row') ~ ', calendar.slot') }} as next_tf_m
    from {{ pn }} as pn_row
    inner join calendar
        on pn_row.settlement_date = calendar.settlement_date
        and pn_row.settlement_period = calendar.settlement_period
    inner join unit_slots as unit_slot
        on {{ acc_unit_key('pn_row') }} = unit_slot.unit_key
        and calendar.slot = unit_slot.slot
    inner join unit_numbers as numbered
        on unit_slot.unit_key = numbered.unit_key
    where {{ incremental_window('pn_row.settlement_date') }}

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
    ) as ranges
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

    select
        numbered.unit_seq,
        unit_slot.slot,
        unit_slot.slot * 30 as lo_m,
        unit_slot.slot * 30 + 30 as hi_m,
        {{ acc_no_fpn_columns() }}
    from unit_slots as unit_slot
    inner join unit_numbers as numbered
        on unit_slot.unit_key = numbered.unit_key
    left join (select distinct unit_seq, slot from pn_ranges) as has_pn
        on numbered.unit_seq = has_pn.unit_seq
        and unit_slot.slot = has_pn.slot
    where has_pn.unit_seq is null

),

-- pieces of a segment within one period over which both q_k and FPN are linear
pieces as (

    select
        segment_slot.acc_id,
        segment_slot.unit_seq,
        segment_slot.acceptance_seq,
        segment_slot.slot,
        segment_slot.tf_m,
        segment_slot.tt_m,
        segment_slot.level_from,
        segment_slot.level_to,
        fpn_range.tf_m as fpn_tf_m,
        fpn_range.tt_m as fpn_tt_m,
        fpn_range.level_from as fpn_from,
        fpn_range.level_to as fpn_to,
        greatest(segment_slot.s_lo, fpn_range.lo_m) as p_lo,
        least(segment_slot.s_hi, fpn_range.hi_m) as p_hi,
        bounds.first_slot
    from segment_slots as segment_slot
    cross join (select min(slot) as first_slot from unit_slots) as bounds
    inner join fpn_ranges as fpn_range
        on segment_slot.unit_seq = fpn_range.unit_seq
        and segment_slot.slot = fpn_range.slot
        and fpn_range.lo_m <= segment_slot.s_hi
        and fpn_range.hi_m >= segment_slot.s_lo

)
{%- endmacro %}
