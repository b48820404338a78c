{#- Our BM cashflows and volumes against Elexon's: EBOCF (indicative cashflows) and BOAV (accepted
    volumes), per BM unit and settlement period, on the settlement dates where either is loaded.

    A unit-period agrees when |ours - Elexon's| <= var reconciliation_abs_gbp (default £1) or
    <= var reconciliation_rel (default 0.5 %) of Elexon's figure; volumes use
    reconciliation_abs_mwh (default 0.01 MWh) and the same relative tolerance. Elexon's totals
    include SO-flagged acceptances and exclude RR ones, as fct_bm_unit_cashflows does. A unit-period
    missing on one side counts as 0 on that side (and so disagrees unless the other side is ~0). -#}
{%- set abs_gbp = var('reconciliation_abs_gbp', 1) -%}
{%- set abs_mwh = var('reconciliation_abs_mwh', 0.01) -%}
{%- set rel = var('reconciliation_rel', 0.005) -%}

with boav as (

    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        max(bm_unit) as bm_unit,
        sum(case when bid_offer = 'offer' then total_volume_accepted else 0 end) as offer_volume_mwh,
        sum(case when bid_offer = 'bid' then total_volume_accepted else 0 end) as bid_volume_mwh
    from {{ ref('bmrs_boav_unified') }}
    group by settlement_date, settlement_period, coalesce(national_grid_bm_unit, bm_unit)

),

ebocf as (

    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        max(bm_unit) as bm_unit,
        sum(total_cashflow) as cashflow_gbp
    from {{ ref('bmrs_ebocf_unified') }}
    group by settlement_date, settlement_period, coalesce(national_grid_bm_unit, bm_unit)

),

elexon_dates as (

    select settlement_date from boav
    union distinct
    select settlement_date from ebocf

),

ours as (

    select
        cashflows.settlement_date,
        cashflows.settlement_period,
        coalesce(cashflows.national_grid_bm_unit, cashflows.bm_unit) as unit_key,
        cashflows.bm_unit,
        cashflows.total_offer_volume_mwh,
        cashflows.total_bid_volume_mwh,
        cashflows.net_cashflow_gbp
    from {{ ref('fct_bm_unit_cashflows') }} as cashflows
    inner join elexon_dates as elexon_date
        on cashflows.settlement_date = elexon_date.settlement_date

),

unit_periods as (

    select settlement_date, settlement_period, unit_key from ours
    union distinct
    select settlement_date, settlement_period, unit_key from boav
    union distinct
    select settlement_date, settlement_period, unit_key from ebocf

),

compared as (

    select
        unit_period.settlement_date,
        unit_period.settlement_period,
        coalesce(our.bm_unit, elexon_volume.bm_unit, elexon_cashflow.bm_unit, unit_period.unit_key) as bm_unit,
        coalesce(our.net_cashflow_gbp, 0) as our_cashflow_gbp,
        elexon_cashflow.cashflow_gbp as elexon_cashflow_gbp,
        coalesce(our.total_offer_volume_mwh, 0) as our_offer_volume_mwh,
        elexon_volume.offer_volume_mwh as elexon_offer_volume_mwh,
        coalesce(our.total_bid_volume_mwh, 0) as our_bid_volume_mwh,
        elexon_volume.bid_volume_mwh as elexon_bid_volume_mwh,
        elexon_cashflow.unit_key is not null as has_elexon_cashflow,
        elexon_volume.unit_key is not null as has_elexon_volume
    from unit_periods as unit_period
    left join ours as our
        on unit_period.settlement_date = our.settlement_date
        and unit_period.settlement_period = our.settlement_period
        and unit_period.unit_key = our.unit_key
    left join boav as elexon_volume
        on unit_period.settlement_date = elexon_volume.settlement_date
        and unit_period.settlement_period = elexon_volume.settlement_period
        and unit_period.unit_key = elexon_volume.unit_key
    left join ebocf as elexon_cashflow
        on unit_period.settlement_date = elexon_cashflow.settlement_date
        and unit_period.settlement_period = elexon_cashflow.settlement_period
        and unit_period.unit_key = elexon_cashflow.unit_key

),

diffs as (

    select
        *,
        our_cashflow_gbp - coalesce(elexon_cashflow_gbp, 0) as cashflow_diff_gbp,
        our_offer_volume_mwh - coalesce(elexon_offer_volume_mwh, 0) as offer_volume_diff_mwh,
        our_bid_volume_mwh - coalesce(elexon_bid_volume_mwh, 0) as bid_volume_diff_mwh
    from compared

),

judged as (

    select
        *,
        {{ within_tolerance('cashflow_diff_gbp', 'elexon_cashflow_gbp', abs_gbp, rel) }} as cashflow_within_tolerance,
        {{ within_tolerance('offer_volume_diff_mwh', 'elexon_offer_volume_mwh', abs_mwh, rel) }}
            and {{ within_tolerance('bid_volume_diff_mwh', 'elexon_bid_volume_mwh', abs_mwh, rel) }}
            as volume_within_tolerance
    from diffs

)

select
    settlement_date,
    settlement_period,
    bm_unit,
    our_cashflow_gbp,
    elexon_cashflow_gbp,
    cashflow_diff_gbp,
    cashflow_within_tolerance,
    our_offer_volume_mwh,
    elexon_offer_volume_mwh,
    offer_volume_diff_mwh,
    our_bid_volume_mwh,
    elexon_bid_volume_mwh,
    bid_volume_diff_mwh,
    volume_within_tolerance,
    has_elexon_cashflow,
    has_elexon_volume,
    (not has_elexon_cashflow or cashflow_within_tolerance)
        and (not has_elexon_volume or volume_within_tolerance) as within_tolerance
from judged
