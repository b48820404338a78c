{#- System (imbalance) prices: one row per settlement date and period, the latest calculation run.

    bmrs_disebsp_unified already keeps one row per (settlement_date, settlement_period) — the newest
    createdDateTime, then the newest ingestion, the API row on a tie — across the API and IRIS. Here
    the period's UTC start and end come from the settlement calendar. Incremental: a run rebuilds
    the settlement days from the incremental floor on (prices are revised for a few days). -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period'])) }}

with prices as (

    select * from {{ ref('bmrs_disebsp_unified') }}
    where {{ incremental_window('settlement_date') }}

),

calendar as (

    select * from {{ ref('int_settlement_periods') }}

)

select
    prices.settlement_date,
    prices.settlement_period,
    coalesce(calendar.start_time_utc, prices.start_time) as start_time_utc,
    calendar.end_time_utc,
    prices.system_sell_price,
    prices.system_buy_price,
    prices.net_imbalance_volume,
    prices.price_derivation_code,
    prices.reserve_scarcity_price,
    prices.bsad_defaulted,
    prices.sell_price_adjustment,
    prices.buy_price_adjustment,
    prices.replacement_price,
    prices.replacement_price_reference_volume,
    prices.total_accepted_offer_volume,
    prices.total_accepted_bid_volume,
    prices.total_adjustment_sell_volume,
    prices.total_adjustment_buy_volume,
    prices.total_system_tagged_accepted_offer_volume,
    prices.total_system_tagged_accepted_bid_volume,
    prices.total_system_tagged_adjustment_sell_volume,
    prices.total_system_tagged_adjustment_buy_volume,
    prices.created_date_time,
    prices.source,
    prices.ingested_at
from prices
left join calendar
    on prices.settlement_date = calendar.settlement_date
    and prices.settlement_period = calendar.settlement_period
{{ pruning_order('prices.settlement_date') }}
