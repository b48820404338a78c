{#- Step 1 of the acceptance engine (boalf_complete; docs/acceptances.md): acceptances and their
    profiles q_k.

    Arguments: boalf (a relation or CTE with the columns of bmrs_boalf_unified), settlement_periods
    (one with the columns of int_settlement_periods).
    CTEs defined: calendar (settlement periods with their 30-minute slot number), boalf (BOALF points
    with unit_key), acceptances (one row per unit and acceptance: time, flags, span), unit_numbers,
    ordered_acceptances (acc_id; acceptance_seq = the acceptance order within the unit: acceptance
    time, then number), unit_slots (every period an acceptance may touch, per unit), segments,
    segment_ranges (the whole minutes each BOALF segment supplies) and segment_slots (those minutes
    cut at period boundaries: a boundary minute belongs to both periods). -#}
{% macro acceptance_profiles(boalf, settlement_periods) -%}
{%- set int = gbp_type('integer') -%}
calendar as (

    select
        settlement_date,
        settlement_period,
        start_time_utc,
        cast(floor({{ acc_epoch_minutes('start_time_utc') }} / 30) as {{ int }}) as slot
    from {{ settlement_periods }}
    where {{ incremental_window('settlement_date', days_before=1) }}

),

boalf as (

    select
        {{ acc_unit_key() }} as unit_key,
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
    from {{ boalf }}
    where {{ incremental_window('settlement_date', days_before=1) }}
        and {{ acc_unit_key() }} is not null

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
    from (select distinct unit_key from acceptances) as units

),

-- acceptance order within each unit: acceptance time, then number
ordered_acceptances as (

    select
        acceptance.unit_key,
        acceptance.acceptance_number,
        numbered.unit_seq,
        row_number() over (order by acceptance.unit_key, acceptance.acceptance_time, acceptance.acceptance_number) as acc_id,
        row_number() over (
            partition by acceptance.unit_key order by acceptance.acceptance_time, acceptance.acceptance_number
        ) as acceptance_seq
    from acceptances as acceptance
    inner join unit_numbers as numbered
        on acceptance.unit_key = numbered.unit_key

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
        ordered.acc_id,
        ordered.unit_seq,
        ordered.acceptance_seq,
        {{ acc_epoch_minutes('segment.time_from') }} as tf_m,
        {{ acc_epoch_minutes('segment.time_to') }} as tt_m,
        segment.level_from,
        segment.level_to,
        {{ acc_next_segment_start('segment', 'ordered.acc_id') }} as next_tf_m
    from boalf as segment
    inner join ordered_acceptances as ordered
        on segment.unit_key = ordered.unit_key
        and segment.acceptance_number = ordered.acceptance_number

),

-- the whole minutes each segment supplies (a later-starting segment wins a shared minute)
segment_ranges as (

    select
        *,
        ceil(tf_m) as lo_m,
        {{ acc_last_own_minute() }} as hi_m
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

)
{%- endmacro %}
