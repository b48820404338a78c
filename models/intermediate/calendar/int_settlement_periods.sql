{#- The settlement calendar: every settlement period from 2016-01-01 to 2035-12-31.

    Period 1 starts at local midnight in Europe/London; a day has as many half hours as lie between
    its local midnight and the next one (46 on the spring clock-change Sunday, 50 on the autumn
    one). Start/end times are derived through the time zone, never from the wall clock
    (int_settlement_days). A view: a filter on settlement_date reaches the days table, so a reader
    of a few days expands only those days' periods. -#}
{{ config(materialized='view') }}

with days as (

    select * from {{ ref('int_settlement_days') }}

),

periods as (

    {{ int_series(1, 50) }}

)

select
    days.settlement_date,
    cast(periods.n as {{ gbp_type('integer') }}) as settlement_period,
    {{ add_minutes('days.day_start_utc', '(periods.n - 1) * 30') }} as start_time_utc,
    {{ add_minutes('days.day_start_utc', 'periods.n * 30') }} as end_time_utc,
    days.periods_in_day
from days
inner join periods
    on periods.n <= days.periods_in_day
