{#- Step 3 of the acceptance engine (boalf_complete; docs/acceptances.md): BOD pair bands, stacked
    outward from FPN, once per unit-period.

    Arguments: bod (a relation or CTE with the columns of bmrs_bod_unified).
    Needs (acceptance_profiles): calendar, unit_slots.
    CTEs defined: bod (the BOD segments of the unit-periods an acceptance touches, widths signed by
    side), bod_shapes (is_flat: each pair one constant row over the whole period — the usual case),
    bod_pairs (prices per pair), flat_widths / shaped_bod / bod_breakpoints / shaped_widths /
    pair_widths (each pair's width at each breakpoint: the period start for flat periods, every BOD
    time inside the period otherwise), pair_edges (band edges relative to FPN), edge_segments (edges
    linear between breakpoints) and pair_bounds (each band's range over the period). -#}
{% macro acceptance_pair_bands(bod) -%}
bod as (

    select
        {{ acc_unit_key('bod_row') }} as unit_key,
        calendar.slot,
        bod_row.pair_id,
        case when bod_row.pair_id > 0 then 1 else -1 end as side,
        {{ acc_epoch_minutes('bod_row.time_from') }} as tf_m,
        {{ acc_epoch_minutes('bod_row.time_to') }} as tt_m,
        {{ acc_band_width('bod_row.level_from', 'bod_row.pair_id') }} as level_from,
        {{ acc_band_width('bod_row.level_to', 'bod_row.pair_id') }} as level_to,
        bod_row.offer_price,
        bod_row.bid_price
    from {{ bod }} as bod_row
    inner join calendar
        on bod_row.settlement_date = calendar.settlement_date
        and bod_row.settlement_period = calendar.settlement_period
    inner join unit_slots as unit_slot
        on {{ acc_unit_key('bod_row') }} = unit_slot.unit_key
        and calendar.slot = unit_slot.slot
    where {{ incremental_window('bod_row.settlement_date') }}
        and bod_row.pair_id <> 0

),

-- a unit-period is "flat" when each pair has one BOD row spanning the whole period at a constant
-- level (the usual case): its band edges are constants. Others go through breakpoints below (in
-- exact mode every unit-period does).
bod_shapes as (

    select
        unit_key,
        slot,
        {% if acc_exact_mode() -%}
        false as is_flat
        {%- else -%}
        count(*) = count(distinct pair_id)
            and min(case when tf_m <= slot * 30 and tt_m >= slot * 30 + 30 and level_from = level_to then 1 else 0 end) = 1
            as is_flat
        {%- endif %}
    from bod
    group by unit_key, slot

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
        bod_row.unit_key,
        bod_row.slot,
        bod_row.pair_id,
        bod_row.side,
        cast(bod_row.slot * 30 as {{ gbp_type('number') }}) as bp,
        bod_row.level_from as width
    from bod as bod_row
    inner join bod_shapes as shape
        on bod_row.unit_key = shape.unit_key
        and bod_row.slot = shape.slot
    where shape.is_flat

),

shaped_bod as (

    select
        bod_row.*,
        case when bod_row.tt_m > bod_row.tf_m then bod_row.level_from else bod_row.level_to end as base_level,
        case
            when bod_row.tt_m > bod_row.tf_m then (bod_row.level_to - bod_row.level_from) / (bod_row.tt_m - bod_row.tf_m)
            else 0
        end as slope
    from bod as bod_row
    inner join bod_shapes as shape
        on bod_row.unit_key = shape.unit_key
        and bod_row.slot = shape.slot
    where not shape.is_flat

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
        pair.unit_key,
        pair.slot,
        pair.pair_id,
        pair.side,
        breakpoint.bp,
        coalesce({{ acc_arg_max('bod_row.base_level + bod_row.slope * (breakpoint.bp - bod_row.tf_m)', 'bod_row.tf_m') }}, 0) as width
    from (select distinct unit_key, slot, pair_id, side from shaped_bod) as pair
    inner join bod_breakpoints as breakpoint
        on pair.unit_key = breakpoint.unit_key
        and pair.slot = breakpoint.slot
    left join shaped_bod as bod_row
        on pair.unit_key = bod_row.unit_key
        and pair.slot = bod_row.slot
        and pair.pair_id = bod_row.pair_id
        and bod_row.tf_m <= breakpoint.bp
        and bod_row.tt_m >= breakpoint.bp
    group by pair.unit_key, pair.slot, pair.pair_id, pair.side, breakpoint.bp

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
        pair.unit_key,
        pair.slot,
        pair.pair_id,
        pair.bp,
        case when pair.side > 0 then sum(stacked.width) - pair.width else sum(stacked.width) end as lower_edge,
        case when pair.side > 0 then sum(stacked.width) else sum(stacked.width) - pair.width end as upper_edge
    from pair_widths as pair
    inner join pair_widths as stacked
        on pair.unit_key = stacked.unit_key
        and pair.slot = stacked.slot
        and pair.bp = stacked.bp
        and pair.side = stacked.side
        and pair.side * stacked.pair_id <= pair.side * pair.pair_id
    group by pair.unit_key, pair.slot, pair.pair_id, pair.side, pair.bp, pair.width

),

edge_segments as (

    -- flat periods: one segment over the whole period, constant edges
    select
        edge.unit_key,
        edge.slot,
        edge.pair_id,
        edge.bp as seg_start,
        edge.bp + 30 as seg_end,
        edge.lower_edge as lower_start,
        edge.lower_edge as lower_end,
        edge.upper_edge as upper_start,
        edge.upper_edge as upper_end
    from pair_edges as edge
    inner join bod_shapes as shape
        on edge.unit_key = shape.unit_key
        and edge.slot = shape.slot
    where shape.is_flat

    union all

    select *
    from (
        select
            edge.unit_key,
            edge.slot,
            edge.pair_id,
            edge.bp as seg_start,
            lead(edge.bp) over by_bp as seg_end,
            edge.lower_edge as lower_start,
            lead(edge.lower_edge) over by_bp as lower_end,
            edge.upper_edge as upper_start,
            lead(edge.upper_edge) over by_bp as upper_end
        from pair_edges as edge
        inner join bod_shapes as shape
            on edge.unit_key = shape.unit_key
            and edge.slot = shape.slot
        where not shape.is_flat
        window by_bp as (partition by edge.unit_key, edge.slot, edge.pair_id order by edge.bp)
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

)
{%- endmacro %}
