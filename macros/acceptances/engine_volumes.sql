{#- Step 5 of the acceptance engine (boalf_complete; docs/acceptances.md): volume per pair.
    offer = max(min(upper, q_k) - max(lower, q_{k-1}), 0), bid = min(max(lower, q_k) - min(upper,
    q_{k-1}), 0), integrated over the minutes; volume outside every band is a pair_id 0 row.

    Needs: acceptance_periods, minutes, piece_sums (acceptance_minutes), pair_bounds, edge_segments,
    pair_edges (acceptance_pair_bands), ordered_acceptances (acceptance_profiles).
    CTEs defined: candidates (the bands that can meet an acceptance-period's [min q, max q]),
    held_periods (the whole move lies in one band: volume straight from the period totals),
    candidate_edges, pair_minutes, pair_volumes, kept_pairs, pair_totals, slots_with_bod, residuals
    and volume_rows (kept pair rows plus the pair_id 0 rows, with residual_status). -#}
{% macro acceptance_pair_volumes() -%}
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
    {{ acc_not_held('c') }}

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
            {{ acc_not_held('s') }}
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
    where {{ acc_has_pair_volume() }}

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
    where {{ acc_has_pair_volume() }}
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

)
{%- endmacro %}

{#- Drops the rows of `rel` (keyed by acc_id and slot) whose acceptance-period is in held_periods:
    those take their volume from the period totals. -#}
{% macro acc_not_held(rel) -%}
left join held_periods as h
        on {{ rel }}.acc_id = h.acc_id
        and {{ rel }}.slot = h.slot
    where h.acc_id is null
{%- endmacro %}
