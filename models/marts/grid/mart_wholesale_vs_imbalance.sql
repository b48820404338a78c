{#- Wholesale (market index, MID) against imbalance (system) price per settlement period.

    The wholesale price is volume-weighted over the providers (N2EXMIDP, APXMIDP); rows with zero
    (or null) volume carry no information and are ignored. Periods with prices on one side only are
    kept (full outer join), with the spread null. Incremental: a run rebuilds the settlement days
    from the incremental floor on. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period'])) }}

with mid as (

    select
        settlement_date,
        settlement_period,
        sum(price * volume) / sum(volume) as wholesale_price,
        sum(volume) as wholesale_volume_mwh,
        count(*) as providers
    from {{ ref('bmrs_mid_unified') }}
    where volume is not null and volume > 0 and price is not null
        and {{ incremental_window('settlement_date') }}
    group by settlement_date, settlement_period

),

costs as (

    select settlement_date, settlement_period, system_sell_price, system_buy_price, net_imbalance_volume
    from {{ ref('bmrs_costs') }}
    where {{ incremental_window('settlement_date') }}

)

select
    coalesce(mid.settlement_date, costs.settlement_date) as settlement_date,
    coalesce(mid.settlement_period, costs.settlement_period) as settlement_period,
    calendar.start_time_utc,
    mid.wholesale_price,
    mid.wholesale_volume_mwh,
    coalesce(mid.providers, 0) as providers,
    costs.system_sell_price as imbalance_price,
    costs.net_imbalance_volume,
    costs.system_sell_price - mid.wholesale_price as imbalance_minus_wholesale
from mid
full outer join costs
    on mid.settlement_date = costs.settlement_date
    and mid.settlement_period = costs.settlement_period
left join {{ ref('int_settlement_periods') }} as calendar
    on coalesce(mid.settlement_date, costs.settlement_date) = calendar.settlement_date
    and coalesce(mid.settlement_period, costs.settlement_period) = calendar.settlement_period
{{ pruning_order() }}
