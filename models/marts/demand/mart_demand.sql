{#- Demand per settlement period: outturn (INDO national, ITSDO transmission system), the day-ahead
    forecasts (NDF national, TSDF transmission system: for each period the latest forecast published
    before its settlement day began), the forecast errors (outturn - forecast), the day's
    temperature (TEMP), and the week-ahead forecasts (NDFW national, TSDFW transmission system).
    Boundary 'N' (national) day-ahead forecasts only. One row per period that has an outturn or a
    day-ahead forecast; the weekly forecasts add no rows.

    Week-ahead: NDFW/TSDFW give one figure per week (`year`, `week`, read as the ISO 8601 week: the
    OpenAPI document does not define the numbering; 2-52 weeks ahead, published on Thursdays) — the
    demand of the week's peak half hour (Elexon's glossary, "National Demand Forecast Week"), not a
    per-period profile. So each period carries its week's figure, every period of a week the same one:
    the latest publication before the week began (Monday 00:00 Europe/London), with its publish time —
    "before the week" rather than "before the day", so a publication made during the week (none is
    expected: the horizon starts two weeks out) cannot switch the figure mid-week and the week's peak
    is compared with one forecast. The error is measured against the week's peak outturn,
    never against the period's own outturn (a peak forecast minus a 4 a.m. outturn says nothing). The
    peak is taken week to date — the highest INDO (ITSDO) of the week's settlement days up to and
    including the row's day — because a row of an incremental table is only rewritten while its day is
    in the lookback window: a peak over the whole week would leave Monday's rows with a partial peak
    once Monday left the window. Week to date depends only on data up to the row's day, so an
    incremental build equals a full refresh; on the week's last day (Sunday) it is the week's peak and
    the error the week-ahead forecast's error. Transmission (TSDFW) pairs with ITSDO, as TSDF does.
    The 2-14 day forecasts (NDFD, TSDFD) are not in this mart: one figure per day that the OpenAPI
    document calls "an average MW value for each settlement period", so what outturn it should be
    compared with is not settled.

    Reads: each input from the incremental floor on, except INDO and ITSDO from 6 days before it (the
    week-to-date peak of a day in the window reaches back to its Monday) and NDFW/TSDFW, read whole:
    the forecast for a week in the window may have been published up to 52 weeks before it, and the
    tables are small (about 2,700 rows a year each). -#}
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

indo_history as (

    select settlement_date, settlement_period, cast(demand as {{ gbp_type('number') }}) as indo_mw
    from {{ ref('bmrs_indo_unified') }}
    where {{ incremental_window('settlement_date', days_before=6) }}

),

itsdo_history as (

    select settlement_date, settlement_period, cast(demand as {{ gbp_type('number') }}) as itsdo_mw
    from {{ ref('bmrs_itsdo_unified') }}
    where {{ incremental_window('settlement_date', days_before=6) }}

),

indo as (

    select * from indo_history
    where {{ incremental_window('settlement_date') }}

),

itsdo as (

    select * from itsdo_history
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

),

-- the ISO week of each day of the mart
mart_days as (

    select distinct
        settlement_date,
        {{ iso_week_monday('settlement_date') }} as week_start_date
    from periods

),

weeks as (

    select distinct
        week_start_date,
        {{ iso_week_year('week_start_date') }} as iso_year,
        {{ iso_week_number('week_start_date') }} as iso_week,
        {{ london_midnight_utc('week_start_date') }} as week_start_utc
    from mart_days

),

-- week-ahead forecasts: per week, the latest publication before the week began
ndfw_ranked as (

    select
        weeks.week_start_date,
        cast(ndfw.demand as {{ gbp_type('number') }}) as ndfw_week_ahead_mw,
        ndfw.publish_time as ndfw_published_at,
        row_number() over (partition by weeks.week_start_date order by ndfw.publish_time desc) as forecast_rank
    from {{ ref('bmrs_ndfw_unified') }} as ndfw
    inner join weeks
        on ndfw.year = weeks.iso_year
        and ndfw.week = weeks.iso_week
    where ndfw.publish_time < weeks.week_start_utc

),

tsdfw_ranked as (

    select
        weeks.week_start_date,
        cast(tsdfw.demand as {{ gbp_type('number') }}) as tsdfw_week_ahead_mw,
        tsdfw.publish_time as tsdfw_published_at,
        row_number() over (partition by weeks.week_start_date order by tsdfw.publish_time desc) as forecast_rank
    from {{ ref('bmrs_tsdfw_unified') }} as tsdfw
    inner join weeks
        on tsdfw.year = weeks.iso_year
        and tsdfw.week = weeks.iso_week
    where tsdfw.publish_time < weeks.week_start_utc

),

ndfw as (

    select * from ndfw_ranked where forecast_rank = 1

),

tsdfw as (

    select * from tsdfw_ranked where forecast_rank = 1

),

-- each day's peak outturn, from the Monday before the window on
outturn_day_peaks as (

    select
        settlement_date,
        {{ iso_week_monday('settlement_date') }} as week_start_date,
        max(indo_mw) as indo_day_peak_mw,
        max(itsdo_mw) as itsdo_day_peak_mw
    from (
        select settlement_date, indo_mw, cast(null as {{ gbp_type('number') }}) as itsdo_mw from indo_history
        union all
        select settlement_date, cast(null as {{ gbp_type('number') }}) as indo_mw, itsdo_mw from itsdo_history
    ) as outturn
    group by settlement_date

),

-- the week's peak outturn up to and including each day (null on a day without that outturn)
week_to_date as (

    select
        mart_days.settlement_date,
        case
            when max(case when earlier.settlement_date = mart_days.settlement_date then earlier.indo_day_peak_mw end)
                is not null
                then max(earlier.indo_day_peak_mw)
        end as indo_week_peak_to_date_mw,
        case
            when max(case when earlier.settlement_date = mart_days.settlement_date then earlier.itsdo_day_peak_mw end)
                is not null
                then max(earlier.itsdo_day_peak_mw)
        end as itsdo_week_peak_to_date_mw
    from mart_days
    inner join outturn_day_peaks as earlier
        on mart_days.week_start_date = earlier.week_start_date
        and earlier.settlement_date <= mart_days.settlement_date
    group by mart_days.settlement_date

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
    temperature.temperature_c,
    mart_days.week_start_date,
    ndfw.ndfw_week_ahead_mw,
    ndfw.ndfw_published_at,
    tsdfw.tsdfw_week_ahead_mw,
    tsdfw.tsdfw_published_at,
    week_to_date.indo_week_peak_to_date_mw,
    week_to_date.itsdo_week_peak_to_date_mw,
    week_to_date.indo_week_peak_to_date_mw - ndfw.ndfw_week_ahead_mw as national_week_peak_error_mw,
    week_to_date.itsdo_week_peak_to_date_mw - tsdfw.tsdfw_week_ahead_mw as transmission_week_peak_error_mw
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
left join mart_days
    on periods.settlement_date = mart_days.settlement_date
left join ndfw
    on mart_days.week_start_date = ndfw.week_start_date
left join tsdfw
    on mart_days.week_start_date = tsdfw.week_start_date
left join week_to_date
    on periods.settlement_date = week_to_date.settlement_date
{{ pruning_order('periods.settlement_date') }}
