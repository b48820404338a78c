{#- Our cashflow per BM unit, settlement period, side and bid-offer pair against Elexon's EBOCF
    (bidOfferPairCashflows), after the Transmission Loss Multiplier, with the multipliers each pair
    admits -- the grain at which Elexon computes and rounds the cashflow (docs/acceptances.md,
    "Reconciliation").

    Ours: boalf_complete `priced` rows (RR excluded, as in fct_bm_unit_cashflows), summed per pair and
    side: V = volume, V x P = cashflow before TLM, P = (V x P) / V; tlm from fct_bm_unit_cashflows.
    Elexon: C = the pair's EBOCF cashflow (0 when EBOCF has the unit-period but not the pair).

    Tolerance, per pair: |C - V x P x t| <= e_C + e_V x |P| x t, where e_C = var
    reconciliation_pair_gbp (default £0.01: Elexon rounds each pair's cashflow to the penny, so its
    figure is within £0.005 of the exact one; the rest absorbs float error) and e_V = var
    reconciliation_acceptance_mwh (default 0.001 MWh: how far our pair volume may be from Elexon's).
    A pair agrees after TLM when t = our tlm satisfies it, before TLM when t = 1 does. The same
    inequality gives the interval [multiplier_lo, multiplier_hi] of all multipliers t the pair admits
    (null when V x P is within the volume tolerance of 0: such a pair pins no multiplier).

    The judgement per unit-period (as loaders.settlement_tlm.judge_multiplier): the point covered by
    the most pair intervals (ties: the lowest) is the judged multiplier; pairs whose interval does not
    contain it -- or that pin none but disagree -- are at fault (fits_judged_multiplier = false). -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'unit_key', 'side', 'pair_id'], cluster_by=['unit_key'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}
{%- set e_gbp = var('reconciliation_pair_gbp', 0.01) -%}
{%- set e_mwh = var('reconciliation_acceptance_mwh', 0.001) -%}
{%- set keys = ['settlement_date', 'settlement_period', 'unit_key', 'side', 'pair_id'] -%}

with ebocf_rows as (

    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        bm_unit,
        bid_offer,
        bid_offer_pair_cashflows
    from {{ ref('bmrs_ebocf_unified') }}
    where {{ incremental_window('settlement_date') }}

),

elexon as (

    {{ elexon_pair_totals('ebocf_rows', 'bid_offer_pair_cashflows', 'cashflow_gbp') }}

),

elexon_unit_periods as (

    select distinct settlement_date, settlement_period, unit_key
    from ebocf_rows

),

-- elexon_dates (EBOCF's settlement dates) and priced (our priced acceptance rows on them)
{{ reconciliation_acceptances('ebocf_rows', name='priced', condition="acceptance.pricing_status = 'priced'") }},

our_pairs as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        max(bm_unit) as bm_unit,
        side,
        pair_id,
        sum(volume_mwh) as volume_mwh,
        sum(volume_mwh * price) as cashflow_before_tlm_gbp
    from ({{ sided_acceptances('priced', price=true) }}
    ) as sided
    group by settlement_date, settlement_period, unit_key, side, pair_id

),

unit_tlm as (

    select
        cashflows.settlement_date,
        cashflows.settlement_period,
        coalesce(cashflows.national_grid_bm_unit, cashflows.bm_unit) as unit_key,
        max(cashflows.tlm) as tlm,
        max(cashflows.tlm_source) as tlm_source
    from {{ ref('fct_bm_unit_cashflows') }} as cashflows
    inner join elexon_dates as elexon_date
        on cashflows.settlement_date = elexon_date.settlement_date
    where {{ incremental_window('cashflows.settlement_date') }}
    group by cashflows.settlement_date, cashflows.settlement_period, coalesce(cashflows.national_grid_bm_unit, cashflows.bm_unit)

),

-- each pair and side on either side, ours against Elexon's
paired as (

    select
        coalesce(our.settlement_date, elexon.settlement_date) as settlement_date,
        coalesce(our.settlement_period, elexon.settlement_period) as settlement_period,
        coalesce(our.unit_key, elexon.unit_key) as unit_key,
        coalesce(our.bm_unit, elexon.bm_unit, our.unit_key, elexon.unit_key) as bm_unit,
        coalesce(our.side, elexon.side) as side,
        coalesce(our.pair_id, elexon.pair_id) as pair_id,
        our.volume_mwh,
        our.cashflow_before_tlm_gbp,
        elexon.cashflow_gbp as elexon_pair_cashflow_gbp
    from our_pairs as our
    full outer join elexon
        on {{ join_keys_match(keys, 'our', 'elexon') }}

),

compared as (

    select
        pair.settlement_date,
        pair.settlement_period,
        pair.unit_key,
        pair.bm_unit,
        pair.side,
        pair.pair_id,
        coalesce(pair.volume_mwh, 0) as our_volume_mwh,
        pair.cashflow_before_tlm_gbp / nullif(pair.volume_mwh, 0) as our_price_gbp_per_mwh,
        coalesce(pair.cashflow_before_tlm_gbp, 0) as our_cashflow_before_tlm_gbp,
        coalesce(tlm.tlm, 1) as tlm,
        coalesce(tlm.tlm_source, 'assumed 1') as tlm_source,
        coalesce(pair.cashflow_before_tlm_gbp, 0) * coalesce(tlm.tlm, 1) as our_cashflow_gbp,
        case
            when pair.elexon_pair_cashflow_gbp is not null then pair.elexon_pair_cashflow_gbp
            when elexon_unit_period.unit_key is not null then 0
        end as elexon_cashflow_gbp,
        elexon_unit_period.unit_key is not null as has_elexon_cashflow
    from paired as pair
    left join elexon_unit_periods as elexon_unit_period
        on pair.settlement_date = elexon_unit_period.settlement_date
        and pair.settlement_period = elexon_unit_period.settlement_period
        and pair.unit_key = elexon_unit_period.unit_key
    left join unit_tlm as tlm
        on pair.settlement_date = tlm.settlement_date
        and pair.settlement_period = tlm.settlement_period
        and pair.unit_key = tlm.unit_key

),

-- a = V x P, s = e_V x |P|, C = Elexon's cashflow (0 when missing)
terms as (

    select
        *,
        our_cashflow_before_tlm_gbp as vp,
        {{ e_mwh }} * abs(coalesce(our_price_gbp_per_mwh, 0)) as slack,
        coalesce(elexon_cashflow_gbp, 0) as c
    from compared

),

bounded as (

    select
        *,
        -- (a + s) t >= C - e_C and (a - s) t <= C + e_C, solved for t
        case
            when vp > slack then (c - {{ e_gbp }}) / (vp + slack)
            when vp < -slack then (c + {{ e_gbp }}) / (vp - slack)
        end as multiplier_lo,
        case
            when vp > slack then (c + {{ e_gbp }}) / (vp - slack)
            when vp < -slack then (c - {{ e_gbp }}) / (vp + slack)
        end as multiplier_hi,
        abs(c - vp * tlm) <= {{ e_gbp }} + slack * tlm as within_tolerance,
        abs(c - vp) <= {{ e_gbp }} + slack as within_tolerance_before_tlm
    from terms

),

-- how many pair intervals of the unit-period contain each pair's lower bound
cover as (

    select
        candidate.settlement_date,
        candidate.settlement_period,
        candidate.unit_key,
        candidate.multiplier_lo as point,
        count(*) as pairs_covering
    from bounded as candidate
    inner join bounded as other
        on candidate.settlement_date = other.settlement_date
        and candidate.settlement_period = other.settlement_period
        and candidate.unit_key = other.unit_key
    where candidate.multiplier_lo is not null
        and other.multiplier_lo <= candidate.multiplier_lo
        and other.multiplier_hi >= candidate.multiplier_lo
    group by candidate.settlement_date, candidate.settlement_period, candidate.unit_key, candidate.multiplier_lo

),

judged_point as (

    select settlement_date, settlement_period, unit_key, point as judged_multiplier
    from (
        select
            *,
            row_number() over (
                partition by settlement_date, settlement_period, unit_key
                order by pairs_covering desc, point
            ) as point_rank
        from cover
    ) as ranked
    where point_rank = 1

)

select
    b.settlement_date,
    b.settlement_period,
    b.bm_unit,
    b.unit_key,
    b.side,
    b.pair_id,
    b.our_volume_mwh,
    b.our_price_gbp_per_mwh,
    b.our_cashflow_before_tlm_gbp,
    b.tlm,
    b.tlm_source,
    b.our_cashflow_gbp,
    b.elexon_cashflow_gbp,
    b.our_cashflow_gbp - coalesce(b.elexon_cashflow_gbp, 0) as cashflow_diff_gbp,
    b.elexon_cashflow_gbp / nullif(b.vp, 0) as implied_multiplier,
    b.multiplier_lo,
    b.multiplier_hi,
    j.judged_multiplier,
    case
        when b.multiplier_lo is not null then j.judged_multiplier between b.multiplier_lo and b.multiplier_hi
        else b.within_tolerance
    end as fits_judged_multiplier,
    b.within_tolerance,
    b.within_tolerance_before_tlm,
    b.has_elexon_cashflow
from bounded as b
left join judged_point as j
    on b.settlement_date = j.settlement_date
    and b.settlement_period = j.settlement_period
    and b.unit_key = j.unit_key
{{ pruning_order('b.settlement_date') }}
