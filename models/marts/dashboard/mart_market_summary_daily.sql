{#- Market summary per settlement day, for the dashboard's "today against the last 30 days".

    System price: bmrs_costs' system sell price (= buy price since the single imbalance price),
    per period. Market index (MID): per period, volume-weighted over the providers with volume > 0
    (mart_wholesale_vs_imbalance.wholesale_price). Volatility is the sample standard deviation of
    the day's period prices. NIV: bmrs_costs' net imbalance volume (MWh; positive = system short).
    Spread: the day's system price max − min, and the mean of (system price − MID) over periods with
    both. The *_30d columns cover the 30 settlement days ending on the row's day (days without data
    are simply absent), computed from daily sums so that means and volatilities are over periods. -#}

with periods as (

    select
        coalesce(costs.settlement_date, mid.settlement_date) as settlement_date,
        coalesce(costs.settlement_period, mid.settlement_period) as settlement_period,
        costs.system_sell_price as system_price,
        costs.net_imbalance_volume,
        mid.wholesale_price as market_price,
        mid.wholesale_volume_mwh as market_volume_mwh
    from {{ ref('bmrs_costs') }} as costs
    full outer join {{ ref('mart_wholesale_vs_imbalance') }} as mid
        on costs.settlement_date = mid.settlement_date
        and costs.settlement_period = mid.settlement_period

),

daily as (

    select
        settlement_date,
        count(system_price) as system_price_periods,
        min(system_price) as system_price_min,
        max(system_price) as system_price_max,
        avg(system_price) as system_price_mean,
        stddev_samp(system_price) as system_price_volatility,
        sum(system_price) as system_price_sum,
        sum(system_price * system_price) as system_price_sumsq,
        count(market_price) as market_price_periods,
        min(market_price) as market_price_min,
        max(market_price) as market_price_max,
        avg(market_price) as market_price_mean,
        stddev_samp(market_price) as market_price_volatility,
        sum(market_price) as market_price_sum,
        sum(market_price * market_price) as market_price_sumsq,
        sum(market_price * market_volume_mwh) / nullif(sum(case when market_price is not null then market_volume_mwh end), 0)
            as market_price_volume_weighted,
        sum(market_volume_mwh) as market_volume_mwh,
        sum(net_imbalance_volume) as niv_total_mwh,
        avg(net_imbalance_volume) as niv_mean_mwh,
        sum(case when net_imbalance_volume > 0 then 1 else 0 end) as niv_short_periods,
        sum(case when net_imbalance_volume < 0 then 1 else 0 end) as niv_long_periods,
        avg(case when system_price is not null and market_price is not null then system_price - market_price end)
            as system_minus_market_mean
    from periods
    group by settlement_date

),

clock as (

    select {{ uk_local_time(current_utc_timestamp()) }} as now_uk

),

today as (

    select {{ unix_day('cast(now_uk as date)') }} as today_number from clock

),

numbered as (

    select
        d.*,
        t.today_number,
        {{ unix_day('d.settlement_date') }} as day_number
    from daily as d
    cross join today as t

),

rolling as (

    select
        *,
        {%- set frame = 'over (order by day_number range between 29 preceding and current row)' %}
        count(*) {{ frame }} as days_30d,
        sum(system_price_periods) {{ frame }} as system_price_periods_30d,
        min(system_price_min) {{ frame }} as system_price_min_30d,
        max(system_price_max) {{ frame }} as system_price_max_30d,
        sum(system_price_sum) {{ frame }} as system_price_sum_30d,
        sum(system_price_sumsq) {{ frame }} as system_price_sumsq_30d,
        sum(market_price_periods) {{ frame }} as market_price_periods_30d,
        min(market_price_min) {{ frame }} as market_price_min_30d,
        max(market_price_max) {{ frame }} as market_price_max_30d,
        sum(market_price_sum) {{ frame }} as market_price_sum_30d,
        sum(market_price_sumsq) {{ frame }} as market_price_sumsq_30d,
        avg(niv_total_mwh) {{ frame }} as niv_total_mean_30d_mwh,
        avg(system_price_max - system_price_min) {{ frame }}
            as system_price_spread_mean_30d
    from numbered

)

select
    settlement_date,
    today_number - day_number as days_before_today,
    system_price_periods,
    system_price_min,
    system_price_max,
    system_price_mean,
    system_price_volatility,
    system_price_max - system_price_min as system_price_spread,
    market_price_periods,
    market_price_min,
    market_price_max,
    market_price_mean,
    market_price_volatility,
    market_price_volume_weighted,
    market_volume_mwh,
    niv_total_mwh,
    niv_mean_mwh,
    niv_short_periods,
    niv_long_periods,
    system_minus_market_mean,
    days_30d,
    system_price_min_30d,
    system_price_max_30d,
    system_price_sum_30d / nullif(system_price_periods_30d, 0) as system_price_mean_30d,
    case when system_price_periods_30d > 1 then sqrt(greatest(
        (system_price_sumsq_30d - system_price_sum_30d * system_price_sum_30d / system_price_periods_30d)
        / (system_price_periods_30d - 1), 0)) end as system_price_volatility_30d,
    system_price_spread_mean_30d,
    market_price_min_30d,
    market_price_max_30d,
    market_price_sum_30d / nullif(market_price_periods_30d, 0) as market_price_mean_30d,
    case when market_price_periods_30d > 1 then sqrt(greatest(
        (market_price_sumsq_30d - market_price_sum_30d * market_price_sum_30d / market_price_periods_30d)
        / (market_price_periods_30d - 1), 0)) end as market_price_volatility_30d,
    niv_total_mean_30d_mwh
from rolling
