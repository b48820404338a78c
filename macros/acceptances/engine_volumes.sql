{#- Step 5 of the acceptance engine (boalf_complete; docs/acceptances.md): volume per pair.
    offer = max(min(upper, q_k) - max(lower, q_{k-1}), 0), bid = min(max(lower, q_k) - min(upper,
    q_{k-1}), 0), integrated over the minutes; volume outside every band is a pair_id 0 row.

    Needs: acceptance_periods, minutes, piece_sums (acceptance_minutes), pair_bounds, edge_segments,
    pair_edges (acceptance_pair_bands), ordered_acceptances (acceptance_profiles).
    CTEs defined: candidates (the bands that can meet an acceptance-period's [min q, max q]; in
    exact mode every band of the unit-period), held_periods (the whole move lies in one band: volume
    straight from the period totals; none in exact mode),
    candidate_edges, pair_minutes, pair_volumes, kept_pairs, pair_totals, slots_with_bod, residuals
    and volume_rows (kept pair rows plus the pair_id 0 rows, with residual_status). -#}
{% macro acceptance_pair_volumes() -%}
candidates as (

    select
        acceptance_period.acc_id,
        acceptance_period.unit_key,
        acceptance_period.slot,
        band.pair_id,
        -- the band holds both q_k and q_{k-1} at every minute: the whole move is in this pair
        {% if acc_exact_mode() -%}
        false as holds_range,
        {%- else -%}
        band.max_lower <= acceptance_period.min_d and band.min_upper >= acceptance_period.max_d as holds_range,
        {%- endif %}
        acceptance_period.up_mwh,
        acceptance_period.down_mwh
    from acceptance_periods as acceptance_period
    inner join pair_bounds as band
        on acceptance_period.unit_key = band.unit_key
        and acceptance_period.slot = band.slot
    where band.max_upper > band.min_lower
        {%- if not acc_exact_mode() %}
        and band.min_lower < acceptance_period.max_d
        and band.max_upper > acceptance_period.min_d
        {%- endif %}

),

-- acceptance-periods whose move lies inside one band need no per-minute work
held_periods as (

    select *
    from candidates
    where holds_range

),

candidate_edges as (

    select
        candidate.acc_id,
        candidate.slot,
        candidate.pair_id,
        edge.seg_start,
        edge.seg_end,
        edge.seg_end = edge.slot * 30 + 30 as is_last_segment,
        edge.lower_start,
        (edge.lower_end - edge.lower_start) / (edge.seg_end - edge.seg_start) as lower_slope,
        edge.upper_start,
        (edge.upper_end - edge.upper_start) / (edge.seg_end - edge.seg_start) as upper_slope
    from candidates as candidate
    inner join edge_segments as edge
        on candidate.unit_key = edge.unit_key
        and candidate.slot = edge.slot
        and candidate.pair_id = edge.pair_id
    left join held_periods as held
        on candidate.acc_id = held.acc_id
        and candidate.slot = held.slot
    where held.acc_id is null

),

pair_minutes as (

    select
        spot.acc_id,
        spot.slot,
        candidate.pair_id,
        spot.weight,
        spot.d_k,
        spot.d_prev,
        candidate.lower_start + candidate.lower_slope * (spot.spot_minute - candidate.seg_start) as lower_edge,
        candidate.upper_start + candidate.upper_slope * (spot.spot_minute - candidate.seg_start) as upper_edge
    from minutes as spot
    inner join candidate_edges as candidate
        on spot.acc_id = candidate.acc_id
        and spot.slot = candidate.slot
    where spot.spot_minute >= candidate.seg_start
        and (spot.spot_minute < candidate.seg_end or (spot.spot_minute = candidate.seg_end and candidate.is_last_segment))

),

pair_volumes as (

    select
        ordered.unit_key,
        ordered.acceptance_number,
        volumes.slot,
        volumes.pair_id,
        volumes.offer_volume_mwh,
        volumes.bid_volume_mwh
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
                piece.acc_id,
                piece.slot,
                candidate.pair_id,
                case
                    when candidate.pair_id > 0
                        then ({{ acc_relu_sum_w('edge.lower_edge', 'piece') }} - {{ acc_relu_sum_w('edge.upper_edge', 'piece') }}) / 60
                    else 0
                end as offer_volume_mwh,
                case
                    when candidate.pair_id < 0
                        then ({{ acc_relu_sum_w('edge.lower_edge', 'piece') }} - {{ acc_relu_sum_w('edge.upper_edge', 'piece') }}
                            - (edge.upper_edge - edge.lower_edge) * piece.weight_total) / 60
                    else 0
                end as bid_volume_mwh
            from piece_sums as piece
            inner join candidates as candidate
                on piece.acc_id = candidate.acc_id
                and piece.slot = candidate.slot
            inner join pair_edges as edge
                on candidate.unit_key = edge.unit_key
                and candidate.slot = edge.slot
                and candidate.pair_id = edge.pair_id
            left join held_periods as held
                on piece.acc_id = held.acc_id
                and piece.slot = held.slot
            where held.acc_id is null
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
    ) as volumes
    inner join ordered_acceptances as ordered
        on volumes.acc_id = ordered.acc_id

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
        acceptance_period.unit_key,
        acceptance_period.acceptance_number,
        acceptance_period.slot,
        0 as pair_id,
        greatest(acceptance_period.up_mwh - coalesce(totals.offer_volume_mwh, 0), 0) as offer_volume_mwh,
        least(acceptance_period.down_mwh - coalesce(totals.bid_volume_mwh, 0), 0) as bid_volume_mwh,
        case when with_bod.unit_key is null then 'no_bod' else 'outside_bod' end as residual_status,
        coalesce(totals.pair_rows, 0) as pair_rows,
        acceptance_period.spot_count
    from acceptance_periods as acceptance_period
    left join pair_totals as totals
        on acceptance_period.unit_key = totals.unit_key
        and acceptance_period.acceptance_number = totals.acceptance_number
        and acceptance_period.slot = totals.slot
    left join slots_with_bod as with_bod
        on acceptance_period.unit_key = with_bod.unit_key
        and acceptance_period.slot = with_bod.slot

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
        case when offer_volume_mwh > {{ acc_residual_min_mwh() }} then offer_volume_mwh else 0 end as offer_volume_mwh,
        case when bid_volume_mwh < -{{ acc_residual_min_mwh() }} then bid_volume_mwh else 0 end as bid_volume_mwh,
        case
            when offer_volume_mwh > {{ acc_residual_min_mwh() }} or bid_volume_mwh < -{{ acc_residual_min_mwh() }}
                then residual_status
            else 'no_volume'
        end as residual_status
    from residuals
    where offer_volume_mwh > {{ acc_residual_min_mwh() }}
        or bid_volume_mwh < -{{ acc_residual_min_mwh() }}
        or (pair_rows = 0 and spot_count >= 2)

)
{%- endmacro %}
