{#- The settlement calendar: every settlement period from 2016-01-01 to 2035-12-31.

    Period 1 starts at local midnight in Europe/London; a day has as many half hours as lie between
    its local midnight and the next one (46 on the spring clock-change Sunday, 50 on the autumn
    one). Start/end times are derived through the time zone, never from the wall clock. -#}
{{ config(materialized='table') }}

with days as (

    {{ date_series('2016-01-01', '2035-12-31') }}

),

day_bounds as (

    select
        date_day as settlement_date,
        {{ london_midnight_utc('date_day') }} as day_start_utc,
        {{ london_midnight_utc(add_days('date_day', 1)) }} as day_end_utc
    from days

),

day_lengths as (

    select
        settlement_date,
        day_start_utc,
        cast({{ seconds_between('day_start_utc', 'day_end_utc') }} / 1800 as {{ gbp_type('integer') }})
            as periods_in_day
    from day_bounds

),

periods as (

    {{ int_series(1, 50) }}

)

select
    d.settlement_date,
    cast(p.n as {{ gbp_type('integer') }}) as settlement_period,
    {{ add_minutes('d.day_start_utc', '(p.n - 1) * 30') }} as start_time_utc,
    {{ add_minutes('d.day_start_utc', 'p.n * 30') }} as end_time_utc,
    d.periods_in_day
from day_lengths as d
inner join periods as p
    on p.n <= d.periods_in_day
