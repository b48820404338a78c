{#- UK-local presentation of UTC timestamps (dashboard marts). The marts keep UTC; these add the
    Europe/London wall-clock time and the settlement date/period an instant falls in. -#}

{#- The Europe/London wall-clock time of a UTC timestamp (DuckDB TIMESTAMP, BigQuery DATETIME). -#}
{% macro uk_local_time(ts_expr) -%}
    {{ return(adapter.dispatch('uk_local_time', 'gbpower')(ts_expr)) }}
{%- endmacro %}

{% macro duckdb__uk_local_time(ts_expr) -%}
    timezone('Europe/London', timezone('UTC', cast({{ ts_expr }} as timestamp)))
{%- endmacro %}

{% macro bigquery__uk_local_time(ts_expr) -%}
    datetime({{ ts_expr }}, 'Europe/London')
{%- endmacro %}

{#- The settlement date (Europe/London local date) of a UTC timestamp. -#}
{% macro uk_local_date(ts_expr) -%}
    cast({{ uk_local_time(ts_expr) }} as date)
{%- endmacro %}

{#- The settlement period (1..50) a UTC instant falls in, given the UTC start of its settlement day
    (london_midnight_utc of its uk_local_date; computed by the caller in an earlier CTE, which keeps
    the compiled lines short): half hours since that start, + 1. -#}
{% macro settlement_period_at(ts_expr, day_start_utc_expr) -%}
    cast(floor({{ seconds_between(day_start_utc_expr, ts_expr) }} / 1800) + 1 as {{ gbp_type('integer') }})
{%- endmacro %}

{#- Minutes (fractional) from start to end. -#}
{% macro minutes_between(start_expr, end_expr) -%}
    ({{ seconds_between(start_expr, end_expr) }} / 60.0)
{%- endmacro %}

{#- Days since 1970-01-01 of a date (an integer to order RANGE window frames by). -#}
{% macro unix_day(date_expr) -%}
    {{ return(adapter.dispatch('unix_day', 'gbpower')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__unix_day(date_expr) -%}
    date_diff('day', date '1970-01-01', {{ date_expr }})
{%- endmacro %}

{% macro bigquery__unix_day(date_expr) -%}
    unix_date({{ date_expr }})
{%- endmacro %}
