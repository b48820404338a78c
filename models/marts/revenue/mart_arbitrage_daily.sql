{#- Temporal arbitrage per settlement day from the system (imbalance) price in bmrs_costs.

    Thresholds are dbt vars: a battery charges in periods priced below arbitrage_charge_below
    (default £25/MWh) and discharges in periods above arbitrage_discharge_above (default £70/MWh).
    The n-cycle spread is the sum of the day's n highest period prices minus the sum of its n lowest
    (£ per MWh of cycle capacity, one settlement period per charge or discharge); the order of
    periods within the day is ignored (a battery may start the day charged), so it is an upper
    bound on what the cycles could capture. -#}
{{ config(**incremental_config(unique_key=['settlement_date'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

{%- set charge_below = var('arbitrage_charge_below') -%}
{%- set discharge_above = var('arbitrage_discharge_above') -%}

with prices as (

    select
        settlement_date,
        settlement_period,
        system_sell_price as price
    from {{ ref('bmrs_costs') }}
    where {{ incremental_window('settlement_date') }}
        and system_sell_price is not null

),

ranked as (

    select
        *,
        row_number() over (partition by settlement_date order by price desc, settlement_period) as rank_high,
        row_number() over (partition by settlement_date order by price asc, settlement_period) as rank_low
    from prices

)

select
    settlement_date,
    count(*) as periods_priced,
    min(price) as min_price_gbp_per_mwh,
    max(price) as max_price_gbp_per_mwh,
    avg(price) as avg_price_gbp_per_mwh,
    max(price) - min(price) as spread_gbp_per_mwh,
    {{ charge_below }} as charge_below_gbp_per_mwh,
    {{ discharge_above }} as discharge_above_gbp_per_mwh,
    sum(case when price < {{ charge_below }} then 1 else 0 end) as charge_periods,
    sum(case when price > {{ discharge_above }} then 1 else 0 end) as discharge_periods,
    avg(case when price < {{ charge_below }} then price end) as avg_charge_price_gbp_per_mwh,
    avg(case when price > {{ discharge_above }} then price end) as avg_discharge_price_gbp_per_mwh,
    avg(case when price > {{ discharge_above }} then price end)
        - avg(case when price < {{ charge_below }} then price end) as threshold_spread_gbp_per_mwh,
    case when count(*) >= 2 then
        sum(case when rank_high <= 1 then price else 0 end) - sum(case when rank_low <= 1 then price else 0 end)
    end as one_cycle_spread_gbp_per_mwh,
    case when count(*) >= 4 then
        sum(case when rank_high <= 2 then price else 0 end) - sum(case when rank_low <= 2 then price else 0 end)
    end as two_cycle_spread_gbp_per_mwh
from ranked
group by settlement_date
{{ pruning_order() }}
