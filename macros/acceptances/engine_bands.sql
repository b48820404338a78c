{#- Step 3 of the acceptance engine (boalf_complete; docs/acceptances.md): BOD pair bands, stacked
    outward from FPN, once per unit-period.

    Needs (acceptance_profiles): calendar, unit_slots.
    CTEs defined: bod (the BOD segments of the unit-periods an acceptance touches, widths signed by
    side), bod_shapes (is_flat: each pair one constant row over the whole period — the usual case),
    bod_pairs (prices per pair), flat_widths / shaped_bod / bod_breakpoints / shaped_widths /
    pair_widths (each pair's width at each breakpoint: the period start for flat periods, every BOD
    time inside the period otherwise), pair_edges (band edges relative to FPN), edge_segments (edges
    linear between breakpoints) and pair_bounds (each band's range over the period). -#}
{% macro acceptance_pair_bands() -%}
bod as (

    select
        {{ acc_unit_key('b') }} as unit_key,
        c.slot,
        b.pair_id,
        case when b.pair_id > 0 then 1 else -1 end as side,
        {{ acc_epoch_minutes('b.time_from') }} as tf_m,
        {{ acc_epoch_minutes('b.time_to') }} as tt_m,
        {{ acc_band_width('b.level_from', 'b.pair_id') }} as level_from,
        {{ acc_band_width('b.level_to', 'b.pair_id') }} as level_to,
        b.offer_price,
        b.bid_price
    from {{ ref('bmrs_bod_unified') }} as b
    inner join calendar as c
        on b.settlement_date = c.settlement_date
        and b.settlement_period = c.settlement_period
    inner join unit_slots as u
        on {{ acc_unit_key('b') }} = u.unit_key
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
    {{ acc_join_bod_shape('b', flat=true) }}

),

shaped_bod as (

    select
        b.*,
        case when b.tt_m > b.tf_m then b.level_from else b.level_to end as base_level,
        case when b.tt_m > b.tf_m then (b.level_to - b.level_from) / (b.tt_m - b.tf_m) else 0 end as slope
    from bod as b
    {{ acc_join_bod_shape('b', flat=false) }}

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
    {{ acc_join_bod_shape('e', flat=true) }}

    union all

    select *
    from (
        select
            e.unit_key,
            e.slot,
            e.pair_id,
            e.bp as seg_start,
            lead(e.bp) over by_bp as seg_end,
            e.lower_edge as lower_start,
            lead(e.lower_edge) over by_bp as lower_end,
            e.upper_edge as upper_start,
            lead(e.upper_edge) over by_bp as upper_end
        from pair_edges as e
        {{ acc_join_bod_shape('e', flat=false) }}
        window by_bp as (partition by e.unit_key, e.slot, e.pair_id order by e.bp)
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

{#- `inner join bod_shapes ... where [not] is_flat` for a relation `rel` keyed by unit_key and slot:
    keeps the rows of flat (constant-band) unit-periods, or of the shaped ones. -#}
{% macro acc_join_bod_shape(rel, flat) -%}
inner join bod_shapes as s
        on {{ rel }}.unit_key = s.unit_key
        and {{ rel }}.slot = s.slot
    where {{ '' if flat else 'not ' }}s.is_flat
{%- endmacro %}
