{#- Demand per settlement period: outturn (INDO national, ITSDO transmission system), the day-ahead
    forecasts (NDF national, TSDF transmission system: for each period the latest forecast published
    before its settlement day began), the forecast errors (outturn - forecast) and the day's
    temperature (TEMP). Boundary 'N' (national) forecasts only. One row per period that has an
    outturn or a day-ahead forecast. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period'])) }}

with calendar as (

    select settlement_date, settlement_period, start_time_utc
    from {{ ref('int_settlement_periods') }}
    where {{ incremental_window('settlement_date') }}

),

day_start as (

    select settlement_date, min(start_time_utc) as day_start_utc
    from calendar
    group by settlement_date

),

indo as (

    select settlement_date, settlement_period, cast(demand as {{ gbp_type('number') }}) as indo_mw
    from {{ ref('bmrs_indo_unified') }}
    where {{ incremental_window('settlement_date') }}

),

itsdo as (

    select settlement_date, settlement_period, cast(demand as {{ gbp_type('number') }}) as itsdo_mw
    from {{ ref('bmrs_itsdo_unified') }}
    where {{ incremental_window('settlement_date') }}

),

ndf_ranked as (

    select
        ndf.settlement_date,
        ndf.settlement_period,
        cast(ndf.demand as {{ gbp_type('number') }}) as ndf_day_ahead_mw,
        ndf.publish_time as ndf_published_at,
        row_number() over (
            partition by ndf.settlement_date, ndf.settlement_period order by ndf.publish_time desc
        ) as forecast_rank
    from {{ ref('bmrs_ndf_unified') }} as ndf
    inner join day_start
        on ndf.settlement_date = day_start.settlement_date
    where ndf.boundary = 'N'
        and ndf.publish_time < day_start.day_start_utc
        and {{ incremental_window('ndf.settlement_date') }}

),

tsdf_ranked as (

    select
        tsdf.settlement_date,
        tsdf.settlement_period,
        cast(tsdf.demand as {{ gbp_type('number') }}) as tsdf_day_ahead_mw,
        tsdf.publish_time as tsdf_published_at,
        row_number() over (
            partition by tsdf.settlement_date, tsdf.settlement_period order by tsdf.publish_time desc
        ) as forecast_rank
    from {{ ref('bmrs_tsdf_unified') }} as tsdf
    inner join day_start
        on tsdf.settlement_date = day_start.settlement_date
    where tsdf.boundary = 'N'
        and tsdf.publish_time < day_start.day_start_utc
        and {{ incremental_window('tsdf.settlement_date') }}

),

ndf as (

    select * from ndf_ranked where forecast_rank = 1

),

tsdf as (

    select * from tsdf_ranked where forecast_rank = 1

),

periods as (

    select settlement_date, settlement_period from indo
    union distinct
    select settlement_date, settlement_period from itsdo
    union distinct
    select settlement_date, settlement_period from ndf
    union distinct
    select settlement_date, settlement_period from tsdf

),

temperature as (

    select measurement_date, cast(temperature as {{ gbp_type('number') }}) as temperature_c
    from {{ ref('bmrs_temp_unified') }}
    where {{ incremental_window('measurement_date') }}

)

select
    periods.settlement_date,
    periods.settlement_period,
    calendar.start_time_utc,
    indo.indo_mw,
    itsdo.itsdo_mw,
    ndf.ndf_day_ahead_mw,
    ndf.ndf_published_at,
    tsdf.tsdf_day_ahead_mw,
    tsdf.tsdf_published_at,
    indo.indo_mw - ndf.ndf_day_ahead_mw as national_forecast_error_mw,
    itsdo.itsdo_mw - tsdf.tsdf_day_ahead_mw as transmission_forecast_error_mw,
    temperature.temperature_c
from periods
left join calendar
    on periods.settlement_date = calendar.settlement_date
    and periods.settlement_period = calendar.settlement_period
left join indo
    on periods.settlement_date = indo.settlement_date
    and periods.settlement_period = indo.settlement_period
left join itsdo
    on periods.settlement_date = itsdo.settlement_date
    and periods.settlement_period = itsdo.settlement_period
left join ndf
    on periods.settlement_date = ndf.settlement_date
    and periods.settlement_period = ndf.settlement_period
left join tsdf
    on periods.settlement_date = tsdf.settlement_date
    and periods.settlement_period = tsdf.settlement_period
left join temperature
    on periods.settlement_date = temperature.measurement_date
{{ pruning_order('periods.settlement_date') }}
