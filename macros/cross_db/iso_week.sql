{#- ISO 8601 weeks (Monday to Sunday; week 1 is the week holding the year's first Thursday), by
    plain date arithmetic on both warehouses — unix_day(), add_days(), mod() and extract(year /
    dayofyear) — rather than the dialects' own ISO functions, which differ in name (DuckDB isoyear()
    and weekofyear(), BigQuery extract(isoyear / isoweek)). 1970-01-01 was a Thursday, so
    mod(unix_day + 3, 7) is the day's offset from Monday. For the weekly forecasts (NDFW, TSDFW:
    `year`, `week`) in mart_demand. -#}

{#- The Monday of the ISO week of a date. -#}
{% macro iso_week_monday(date_expr) -%}
    {#- the offset on a line of its own: the compiled expression stays within the lint's line length -#}
    {{ add_days(date_expr, '-1 * mod(\n            ' ~ unix_day(date_expr) ~ ' + 3, 7\n        )') }}
{%- endmacro %}

{#- The ISO week-numbering year of the week starting on a Monday (the year of its Thursday). -#}
{% macro iso_week_year(monday_expr) -%}
    cast(extract(year from {{ add_days(monday_expr, 3) }}) as {{ gbp_type('integer') }})
{%- endmacro %}

{#- The ISO week number (1..53) of the week starting on a Monday: its Thursday's day of the year, in weeks. -#}
{% macro iso_week_number(monday_expr) -%}
    cast(
            floor((extract(dayofyear from {{ add_days(monday_expr, 3) }}) - 1) / 7) + 1
        as {{ gbp_type('integer') }})
{%- endmacro %}
