{#- Our BM cashflows and volumes against Elexon's: EBOCF (indicative cashflows) and BOAV (accepted
    volumes), per BM unit and settlement period, on the settlement dates where either is loaded.
    Like with like: our cashflow after the Transmission Loss Multiplier (fct_bm_unit_cashflows), as
    EBOCF is (docs/acceptances.md, "Transmission losses" and "Reconciliation").

    A unit-period agrees when |ours - Elexon's| <= var reconciliation_abs_gbp (default £1) or
    <= var reconciliation_rel (default 0.5 %) of Elexon's figure; volumes use
    reconciliation_abs_mwh (default 0.01 MWh) and the same relative tolerance. Elexon's totals
    include SO-flagged acceptances and exclude RR ones, as fct_bm_unit_cashflows does. A unit-period
    missing on one side counts as 0 on that side (and so disagrees unless the other side is ~0).

    The finer checks come from rpt_pair_cashflow_reconciliation (per side and pair, to the penny) and
    rpt_acceptance_volume_reconciliation (per acceptance and pair, to 0.001 MWh): implied_tlm (EBOCF /
    our cashflow before TLM), tlm_verdict (consistent / tlm / price_or_volume) and the pairs and
    acceptances at fault, by name. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'bm_unit'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}
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
    where {{ incremental_window('settlement_date') }}
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
    where {{ incremental_window('settlement_date') }}
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
        cashflows.net_cashflow_gbp as net_cashflow_before_tlm_gbp,
        cashflows.net_cashflow_after_tlm_gbp,
        cashflows.tlm,
        cashflows.tlm_source
    from {{ ref('fct_bm_unit_cashflows') }} as cashflows
    inner join elexon_dates as elexon_date
        on cashflows.settlement_date = elexon_date.settlement_date
    where {{ incremental_window('cashflows.settlement_date') }}

),

-- per unit-period: how the pairs compare (names like "offer 1", "bid -2")
pair_checks as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        count(*) as pairs_compared,
        sum(case when within_tolerance then 1 else 0 end) as pairs_within_tolerance,
        sum(case when within_tolerance_before_tlm then 1 else 0 end) as pairs_within_tolerance_before_tlm,
        sum(case when fits_judged_multiplier then 1 else 0 end) as pairs_fitting_judged_multiplier,
        max(judged_multiplier) as judged_multiplier,
        {{ sorted_string_agg(pair_name('side', 'pair_id'), [pair_name('side', 'pair_id')], 'not within_tolerance') }}
            as pairs_off_tolerance,
        {{ sorted_string_agg(pair_name('side', 'pair_id'), [pair_name('side', 'pair_id')], 'not fits_judged_multiplier') }}
            as pairs_off_judged_multiplier
    from {{ ref('rpt_pair_cashflow_reconciliation') }}
    where has_elexon_cashflow
        and {{ incremental_window('settlement_date') }}
    group by settlement_date, settlement_period, unit_key

),

-- per unit-period: the acceptances whose volume in a pair differs from BOAV ("124805 offer -1")
acceptance_checks as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        count(*) as acceptance_pairs_compared,
        {{ sorted_string_agg(
            "concat(cast(acceptance_number as " ~ gbp_type('string') ~ "), ' ', " ~ pair_name('side', 'pair_id') ~ ")",
            ['acceptance_number', pair_name('side', 'pair_id')],
            'not within_tolerance'
        ) }} as acceptances_at_fault
    from {{ ref('rpt_acceptance_volume_reconciliation') }}
    where {{ incremental_window('settlement_date') }}
    group by settlement_date, settlement_period, unit_key

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
        coalesce(our.net_cashflow_after_tlm_gbp, 0) as our_cashflow_gbp,
        coalesce(our.net_cashflow_before_tlm_gbp, 0) as our_cashflow_before_tlm_gbp,
        our.tlm,
        our.tlm_source,
        elexon_cashflow.cashflow_gbp as elexon_cashflow_gbp,
        coalesce(our.total_offer_volume_mwh, 0) as our_offer_volume_mwh,
        elexon_volume.offer_volume_mwh as elexon_offer_volume_mwh,
        coalesce(our.total_bid_volume_mwh, 0) as our_bid_volume_mwh,
        elexon_volume.bid_volume_mwh as elexon_bid_volume_mwh,
        elexon_cashflow.unit_key is not null as has_elexon_cashflow,
        elexon_volume.unit_key is not null as has_elexon_volume,
        pair_check.pairs_compared,
        pair_check.pairs_within_tolerance,
        pair_check.pairs_within_tolerance_before_tlm,
        pair_check.pairs_fitting_judged_multiplier,
        pair_check.judged_multiplier,
        pair_check.pairs_off_tolerance,
        pair_check.pairs_off_judged_multiplier,
        acceptance_check.acceptance_pairs_compared,
        acceptance_check.acceptances_at_fault
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
    left join pair_checks as pair_check
        on unit_period.settlement_date = pair_check.settlement_date
        and unit_period.settlement_period = pair_check.settlement_period
        and unit_period.unit_key = pair_check.unit_key
    left join acceptance_checks as acceptance_check
        on unit_period.settlement_date = acceptance_check.settlement_date
        and unit_period.settlement_period = acceptance_check.settlement_period
        and unit_period.unit_key = acceptance_check.unit_key

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
    our_cashflow_before_tlm_gbp,
    tlm,
    tlm_source,
    elexon_cashflow_gbp / nullif(our_cashflow_before_tlm_gbp, 0) as implied_tlm,
    judged_multiplier,
    case
        when not has_elexon_cashflow or coalesce(pairs_compared, 0) = 0 then null
        when pairs_within_tolerance = pairs_compared then 'consistent'
        when pairs_fitting_judged_multiplier = pairs_compared then 'tlm'
        else 'price_or_volume'
    end as tlm_verdict,
    case
        when pairs_within_tolerance = pairs_compared or pairs_fitting_judged_multiplier = pairs_compared then null
        else pairs_off_judged_multiplier
    end as pairs_at_fault,
    pairs_compared,
    pairs_within_tolerance,
    pairs_within_tolerance_before_tlm,
    acceptance_pairs_compared,
    acceptances_at_fault,
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
{{ pruning_order() }}
