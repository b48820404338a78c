{#- Time helpers. Timestamps are UTC everywhere (DuckDB TIMESTAMP with session TimeZone UTC;
    BigQuery TIMESTAMP). -#}

{#- The UTC instant of local midnight in Europe/London at the start of a (settlement) date. -#}
{% macro london_midnight_utc(date_expr) -%}
    {{ return(adapter.dispatch('london_midnight_utc', 'gbpower')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__london_midnight_utc(date_expr) -%}
    timezone('UTC', timezone('Europe/London', cast({{ date_expr }} as timestamp)))
{%- endmacro %}

{% macro bigquery__london_midnight_utc(date_expr) -%}
    timestamp(datetime({{ date_expr }}), 'Europe/London')
{%- endmacro %}

{#- ts + n minutes (n may be an expression). -#}
{% macro add_minutes(ts_expr, minutes_expr) -%}
    {{ return(adapter.dispatch('add_minutes', 'gbpower')(ts_expr, minutes_expr)) }}
{%- endmacro %}

{% macro duckdb__add_minutes(ts_expr, minutes_expr) -%}
    ({{ ts_expr }} + to_minutes(cast({{ minutes_expr }} as bigint)))
{%- endmacro %}

{% macro bigquery__add_minutes(ts_expr, minutes_expr) -%}
    timestamp_add({{ ts_expr }}, interval cast({{ minutes_expr }} as int64) minute)
{%- endmacro %}

{#- date + n days. -#}
{% macro add_days(date_expr, days_expr) -%}
    {{ return(adapter.dispatch('add_days', 'gbpower')(date_expr, days_expr)) }}
{%- endmacro %}

{% macro duckdb__add_days(date_expr, days_expr) -%}
    cast({{ date_expr }} + to_days(cast({{ days_expr }} as integer)) as date)
{%- endmacro %}

{% macro bigquery__add_days(date_expr, days_expr) -%}
    date_add({{ date_expr }}, interval cast({{ days_expr }} as int64) day)
{%- endmacro %}

{#- Whole seconds from start to end (end - start). -#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('seconds_between', 'gbpower')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_expr, end_expr) -%}
    date_diff('second', {{ start_expr }}, {{ end_expr }})
{%- endmacro %}

{% macro bigquery__seconds_between(start_expr, end_expr) -%}
    timestamp_diff({{ end_expr }}, {{ start_expr }}, second)
{%- endmacro %}

{#- A one-column relation `date_day` with every date from start to end inclusive (literals 'YYYY-MM-DD'). -#}
{% macro date_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_series', 'gbpower')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__date_series(start_date, end_date) -%}
    select cast(d as date) as date_day
    from generate_series(date '{{ start_date }}', date '{{ end_date }}', interval 1 day) as t (d)
{%- endmacro %}

{% macro bigquery__date_series(start_date, end_date) -%}
    select date_day
    from unnest(generate_date_array(date '{{ start_date }}', date '{{ end_date }}')) as date_day
{%- endmacro %}

{#- A one-column relation `n` with the integers lo..hi. -#}
{% macro int_series(lo, hi) -%}
    {{ return(adapter.dispatch('int_series', 'gbpower')(lo, hi)) }}
{%- endmacro %}

{% macro duckdb__int_series(lo, hi) -%}
    select cast(n as bigint) as n from generate_series({{ lo }}, {{ hi }}) as t (n)
{%- endmacro %}

{% macro bigquery__int_series(lo, hi) -%}
    select n from unnest(generate_array({{ lo }}, {{ hi }})) as n
{%- endmacro %}

{#- The current UTC date (overridable with var('as_of_date') for tests and replays). -#}
{% macro current_utc_date() -%}
    {%- if var('as_of_date', none) -%}
        date '{{ var("as_of_date") }}'
    {%- else -%}
        {{ return(adapter.dispatch('current_utc_date', 'gbpower')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__current_utc_date() -%}
    cast(timezone('UTC', now()) as date)
{%- endmacro %}

{% macro bigquery__current_utc_date() -%}
    current_date('UTC')
{%- endmacro %}

{#- The current UTC timestamp (var('as_of_date') pins it to that date's UTC midnight). -#}
{% macro current_utc_timestamp() -%}
    {%- if var('as_of_date', none) -%}
        timestamp '{{ var("as_of_date") }} 00:00:00'
    {%- else -%}
        {{ return(adapter.dispatch('current_utc_timestamp', 'gbpower')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__current_utc_timestamp() -%}
    timezone('UTC', now())
{%- endmacro %}

{% macro bigquery__current_utc_timestamp() -%}
    current_timestamp()
{%- endmacro %}

{#- ts + n seconds (n may be an expression). -#}
{% macro add_seconds(ts_expr, seconds_expr) -%}
    {{ return(adapter.dispatch('add_seconds', 'gbpower')(ts_expr, seconds_expr)) }}
{%- endmacro %}

{% macro duckdb__add_seconds(ts_expr, seconds_expr) -%}
    ({{ ts_expr }} + to_seconds(cast({{ seconds_expr }} as bigint)))
{%- endmacro %}

{% macro bigquery__add_seconds(ts_expr, seconds_expr) -%}
    timestamp_add({{ ts_expr }}, interval cast({{ seconds_expr }} as int64) second)
{%- endmacro %}
