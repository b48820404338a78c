{#- The dashboard's headline panels: one row per refresh (build), with the latest value of each
    panel and the time and age of the data behind it. "Now" is the build time (var('as_of_date')
    pins it for tests and replays); only data at or before now is considered.

    - generation: the latest FUELINST instant (5-minute values): domestic generation (interconnectors
      excluded), renewable MW and share, carbon intensity (the fuel_carbon_factors seed, as in
      mart_carbon_intensity) and the interconnectors' net import at that instant;
    - demand: the latest INDO period (initial national demand outturn);
    - frequency: the latest FREQ sample, and min/max over the hour up to that sample;
    - system price and NIV: the latest settlement period with a system price (bmrs_costs), and
      whether that is the current period.
    Ages are minutes from the data time (instant, period start or sample) to now. Each panel looks
    back var('snapshot_lookback_days') (default 7) days, which bounds what the live chain scans
    every few minutes (a settlement-date filter, i.e. partition pruning on BigQuery): a panel with
    no data in that window is null. -#}
{%- set now = current_utc_timestamp() -%}
{%- set lookback = var('snapshot_lookback_days', 7) -%}
{%- set since_date = add_days(current_utc_date(), -(lookback + 1)) -%}
{%- set since_time = add_seconds(now, -86400 * lookback) -%}

with snapshot as (

    select {{ now }} as snapshot_time_utc

),

clock_local as (

    select
        snapshot_time_utc,
        {{ uk_local_time('snapshot_time_utc') }} as snapshot_time_uk
    from snapshot

),

clock_day as (

    select
        *,
        cast(snapshot_time_uk as date) as snapshot_settlement_date
    from clock_local

),

clock_day_start as (

    select
        *,
        {{ london_midnight_utc('snapshot_settlement_date') }} as snapshot_day_start_utc
    from clock_day

),

clock as (

    select
        snapshot_time_utc,
        snapshot_time_uk,
        snapshot_settlement_date,
        {{ settlement_period_at('snapshot_time_utc', 'snapshot_day_start_utc') }} as snapshot_settlement_period
    from clock_day_start

),

factors as (

    select fuel_type, is_interconnector, is_renewable, carbon_factor_g_per_kwh
    from {{ ref('fuel_carbon_factors') }}

),

fuelinst as (

    select
        start_time,
        settlement_date,
        settlement_period,
        fuel_type,
        cast(generation as {{ gbp_type('number') }}) as generation_mw
    from {{ ref('bmrs_fuelinst_unified') }}
    where settlement_date >= {{ since_date }}
        and start_time > {{ since_time }}
        and start_time <= {{ now }}
        and generation is not null

),

latest_fuelinst as (

    select max(start_time) as start_time from fuelinst

),

latest_instant as (

    {#- fuel types missing from the seed count as domestic with no factor; INT* as interconnectors -#}
    select
        f.start_time,
        f.settlement_date,
        f.settlement_period,
        f.generation_mw,
        coalesce(c.is_interconnector, f.fuel_type like 'INT%') as is_ic,
        coalesce(c.is_renewable, false) as is_renewable,
        coalesce(c.carbon_factor_g_per_kwh, 0) as carbon_factor_g_per_kwh
    from fuelinst as f
    inner join latest_fuelinst as l
        on f.start_time = l.start_time
    left join factors as c
        on f.fuel_type = c.fuel_type

),

generation as (

    select
        start_time as generation_time_utc,
        max(settlement_date) as generation_settlement_date,
        max(settlement_period) as generation_settlement_period,
        sum(case when not is_ic then generation_mw else 0 end) as total_generation_mw,
        sum(case when is_ic then generation_mw else 0 end) as interconnector_net_import_mw,
        sum(case when is_renewable and not is_ic then generation_mw else 0 end) as renewable_mw,
        sum(case when not is_ic then generation_mw * carbon_factor_g_per_kwh else 0 end) as emissions
    from latest_instant
    group by start_time

),

demand_periods as (

    select
        start_time,
        settlement_date,
        settlement_period,
        cast(demand as {{ gbp_type('number') }}) as demand_mw,
        row_number() over (order by start_time desc, publish_time desc) as recency
    from {{ ref('bmrs_indo_unified') }}
    where settlement_date >= {{ since_date }}
        and start_time > {{ since_time }}
        and start_time <= {{ now }}
        and demand is not null

),

demand as (

    select
        start_time as demand_time_utc,
        settlement_date as demand_settlement_date,
        settlement_period as demand_settlement_period,
        demand_mw
    from demand_periods
    where recency = 1

),

freq as (

    select measurement_time, cast(frequency as {{ gbp_type('number') }}) as frequency_hz
    from {{ ref('bmrs_freq_unified') }}
    where measurement_time > {{ since_time }}
        and measurement_time <= {{ now }}
        and frequency is not null

),

latest_freq as (

    select max(measurement_time) as measurement_time from freq

),

frequency as (

    select
        l.measurement_time as frequency_time_utc,
        max(case when f.measurement_time = l.measurement_time then f.frequency_hz end) as frequency_hz,
        min(f.frequency_hz) as frequency_min_1h_hz,
        max(f.frequency_hz) as frequency_max_1h_hz,
        count(*) as frequency_samples_1h
    from freq as f
    inner join latest_freq as l
        on f.measurement_time > {{ add_seconds('l.measurement_time', -3600) }}
        and f.measurement_time <= l.measurement_time
    group by l.measurement_time

),

frequency_local as (

    select
        *,
        {{ uk_local_date('frequency_time_utc') }} as frequency_settlement_date
    from frequency

),

frequency_day_start as (

    select
        *,
        {{ london_midnight_utc('frequency_settlement_date') }} as frequency_day_start_utc
    from frequency_local

),

frequency_dated as (

    select
        frequency_time_utc,
        frequency_settlement_date,
        {{ settlement_period_at('frequency_time_utc', 'frequency_day_start_utc') }} as frequency_settlement_period,
        frequency_hz,
        frequency_min_1h_hz,
        frequency_max_1h_hz,
        frequency_samples_1h
    from frequency_day_start

),

priced_periods as (

    select
        settlement_date,
        settlement_period,
        start_time_utc,
        system_sell_price,
        system_buy_price,
        net_imbalance_volume,
        row_number() over (order by start_time_utc desc, settlement_date desc, settlement_period desc) as recency
    from {{ ref('bmrs_costs') }}
    where settlement_date >= {{ since_date }}
        and start_time_utc > {{ since_time }}
        and start_time_utc <= {{ now }}
        and system_sell_price is not null

),

price as (

    select
        settlement_date as price_settlement_date,
        settlement_period as price_settlement_period,
        start_time_utc as price_time_utc,
        system_sell_price as system_price,
        system_buy_price,
        net_imbalance_volume
    from priced_periods
    where recency = 1

),

joined as (

    select
        s.*,
        g.*,
        d.*,
        fr.*,
        p.*
    from clock as s
    left join generation as g on true
    left join demand as d on true
    left join frequency_dated as fr on true
    left join price as p on true

)

select
    snapshot_time_utc,
    snapshot_time_uk,
    snapshot_settlement_date,
    snapshot_settlement_period,

    generation_time_utc,
    {{ uk_local_time('generation_time_utc') }} as generation_time_uk,
    generation_settlement_date,
    generation_settlement_period,
    {{ minutes_between('generation_time_utc', 'snapshot_time_utc') }} as generation_age_minutes,
    total_generation_mw,
    renewable_mw,
    case when total_generation_mw > 0 then renewable_mw / total_generation_mw end as renewable_share,
    case when total_generation_mw > 0 then emissions / total_generation_mw end as carbon_intensity_g_per_kwh,
    interconnector_net_import_mw,

    demand_time_utc,
    {{ uk_local_time('demand_time_utc') }} as demand_time_uk,
    demand_settlement_date,
    demand_settlement_period,
    {{ minutes_between('demand_time_utc', 'snapshot_time_utc') }} as demand_age_minutes,
    demand_mw,

    frequency_time_utc,
    {{ uk_local_time('frequency_time_utc') }} as frequency_time_uk,
    frequency_settlement_date,
    frequency_settlement_period,
    {{ minutes_between('frequency_time_utc', 'snapshot_time_utc') }} as frequency_age_minutes,
    frequency_hz,
    frequency_min_1h_hz,
    frequency_max_1h_hz,
    frequency_samples_1h,

    price_time_utc,
    {{ uk_local_time('price_time_utc') }} as price_time_uk,
    price_settlement_date,
    price_settlement_period,
    {{ minutes_between('price_time_utc', 'snapshot_time_utc') }} as price_age_minutes,
    coalesce(
        price_settlement_date = snapshot_settlement_date and price_settlement_period = snapshot_settlement_period,
        false
    ) as price_is_current_period,
    system_price,
    system_buy_price,
    net_imbalance_volume
from joined
