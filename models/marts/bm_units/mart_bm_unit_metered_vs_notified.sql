{#- Metered against notified energy per BM unit and settlement period (MWh; positive = export):
    B1610 metered volume next to the FPN (the PN integrated over the period) and the volume of the
    unit's accepted bids and offers (boalf_complete, every acceptance including RR: all of them move
    the unit physically), with the delivery difference metered - (FPN + accepted).

    Units are the Elexon id (boalf_complete's bm_unit). B1610 names the unit by its National Grid id
    (nationalGridBmUnitId): its own bmUnit when given, else the Elexon id dim_bm_units has for that
    National Grid id, else the National Grid id itself. PN units are coalesce(bm_unit,
    national_grid_bm_unit) as in the acceptance engine.

    FPN MWh: each PN segment is linear between (time_from, level_from) and (time_to, level_to); its
    part inside the period integrates to duration x mean of the end levels (the exact integral; the
    acceptance engine's whole-minute trapezoid gives the same for Elexon's whole-minute segments),
    levels from the engine's acc_linear_at. A period with PN covering only part of it integrates
    only that part (fpn_minutes says how much).

    One row per unit-period with any of the three; a missing source is null (accepted volume is 0
    where there is an FPN or a metered value but no acceptance). Incremental: a run rebuilds the
    settlement days from the incremental floor on. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'bm_unit'], cluster_by=['bm_unit'])) }}

with b1610_input as (

    select * from {{ ref('bmrs_b1610_unified') }}
    where {{ incremental_window('settlement_date') }}

),

pn_input as (

    select * from {{ ref('bmrs_pn_unified') }}
    where {{ incremental_window('settlement_date') }}

),

acceptances_input as (

    select * from {{ ref('boalf_complete') }}
    where {{ incremental_window('settlement_date') }}

),

units_input as (

    select * from {{ ref('dim_bm_units') }}

),

calendar as (

    select * from {{ ref('int_settlement_periods') }}

),

-- one Elexon id per National Grid id (the reference list can repeat a National Grid id)
national_grid_ids as (

    select national_grid_bm_unit, min(bm_unit) as bm_unit
    from units_input
    where national_grid_bm_unit is not null
    group by national_grid_bm_unit

),

metered as (

    select
        b1610.settlement_date,
        b1610.settlement_period,
        coalesce(b1610.bm_unit, national_grid_ids.bm_unit, b1610.national_grid_bm_unit_id) as bm_unit,
        max(b1610.national_grid_bm_unit_id) as national_grid_bm_unit,
        sum(cast(b1610.quantity as {{ gbp_type('number') }})) as metered_mwh
    from b1610_input as b1610
    left join national_grid_ids
        on b1610.national_grid_bm_unit_id = national_grid_ids.national_grid_bm_unit
    group by 1, 2, 3

),

-- each PN segment clipped to its settlement period, in minutes since the epoch
pn_pieces as (

    select
        pn.settlement_date,
        pn.settlement_period,
        coalesce(pn.bm_unit, pn.national_grid_bm_unit) as bm_unit,
        pn.national_grid_bm_unit,
        {{ acc_epoch_minutes('pn.time_from') }} as tf_m,
        {{ acc_epoch_minutes('pn.time_to') }} as tt_m,
        cast(pn.level_from as {{ gbp_type('number') }}) as level_from,
        cast(pn.level_to as {{ gbp_type('number') }}) as level_to,
        greatest({{ acc_epoch_minutes('pn.time_from') }}, {{ acc_epoch_minutes('calendar.start_time_utc') }}) as a_m,
        least({{ acc_epoch_minutes('pn.time_to') }}, {{ acc_epoch_minutes('calendar.end_time_utc') }}) as b_m
    from pn_input as pn
    inner join calendar
        on pn.settlement_date = calendar.settlement_date
        and pn.settlement_period = calendar.settlement_period

),

notified as (

    select
        settlement_date,
        settlement_period,
        bm_unit,
        max(national_grid_bm_unit) as national_grid_bm_unit,
        sum((b_m - a_m) * ({{ acc_linear_at('a_m') }} + {{ acc_linear_at('b_m') }}) / 2) / 60 as fpn_mwh,
        sum(b_m - a_m) as fpn_minutes
    from pn_pieces
    where b_m > a_m
    group by settlement_date, settlement_period, bm_unit

),

accepted as (

    select
        settlement_date,
        settlement_period,
        bm_unit,
        max(national_grid_bm_unit) as national_grid_bm_unit,
        sum(offer_volume_mwh) as accepted_offer_mwh,
        sum(bid_volume_mwh) as accepted_bid_mwh,
        count(distinct acceptance_number) as acceptance_count
    from acceptances_input
    group by settlement_date, settlement_period, bm_unit

),

unit_periods as (

    select settlement_date, settlement_period, bm_unit from metered
    union distinct
    select settlement_date, settlement_period, bm_unit from notified
    union distinct
    select settlement_date, settlement_period, bm_unit from accepted

),

joined as (

    select
        unit_period.settlement_date,
        unit_period.settlement_period,
        unit_period.bm_unit,
        coalesce(metered.national_grid_bm_unit, notified.national_grid_bm_unit, accepted.national_grid_bm_unit)
            as national_grid_bm_unit,
        metered.metered_mwh,
        notified.fpn_mwh,
        notified.fpn_minutes,
        coalesce(accepted.accepted_offer_mwh, 0) as accepted_offer_mwh,
        coalesce(accepted.accepted_bid_mwh, 0) as accepted_bid_mwh,
        coalesce(accepted.acceptance_count, 0) as acceptance_count
    from unit_periods as unit_period
    left join metered
        on unit_period.settlement_date = metered.settlement_date
        and unit_period.settlement_period = metered.settlement_period
        and unit_period.bm_unit = metered.bm_unit
    left join notified
        on unit_period.settlement_date = notified.settlement_date
        and unit_period.settlement_period = notified.settlement_period
        and unit_period.bm_unit = notified.bm_unit
    left join accepted
        on unit_period.settlement_date = accepted.settlement_date
        and unit_period.settlement_period = accepted.settlement_period
        and unit_period.bm_unit = accepted.bm_unit

)

select
    joined.settlement_date,
    joined.settlement_period,
    calendar.start_time_utc,
    joined.bm_unit,
    joined.national_grid_bm_unit,
    round(joined.metered_mwh, 6) + 0.0 as metered_mwh,
    round(joined.fpn_mwh, 6) + 0.0 as fpn_mwh,
    cast(joined.fpn_minutes as {{ gbp_type('number') }}) as fpn_minutes,
    round(joined.accepted_offer_mwh, 6) + 0.0 as accepted_offer_mwh,
    round(joined.accepted_bid_mwh, 6) + 0.0 as accepted_bid_mwh,
    round(joined.accepted_offer_mwh + joined.accepted_bid_mwh, 6) + 0.0 as accepted_mwh,
    joined.acceptance_count,
    round(joined.fpn_mwh + joined.accepted_offer_mwh + joined.accepted_bid_mwh, 6) + 0.0 as expected_mwh,
    round(joined.metered_mwh - (joined.fpn_mwh + joined.accepted_offer_mwh + joined.accepted_bid_mwh), 6) + 0.0
        as delivery_difference_mwh
from joined
left join calendar
    on joined.settlement_date = calendar.settlement_date
    and joined.settlement_period = calendar.settlement_period
{{ pruning_order('joined.settlement_date') }}
