{#- The settlement days 2016-01-01 to 2035-12-31, one row each: the UTC instants of the day's local
    midnight and the next one (Europe/London), and how many half-hour settlement periods lie between
    them (46 on the spring clock-change Sunday, 50 on the autumn one, else 48). Derived through the
    time zone, never from the wall clock. int_settlement_periods expands it to one row per period;
    a table of days (7,305 rows) rather than of periods (350,640), so a reader of a few days touches
    a few thousand rows, not one of DuckDB's 122,880-row row groups. -#}
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

)

select
    settlement_date,
    day_start_utc,
    day_end_utc,
    cast({{ seconds_between('day_start_utc', 'day_end_utc') }} / 1800 as {{ gbp_type('integer') }})
        as periods_in_day
from day_bounds
{{ pruning_order('settlement_date') }}
