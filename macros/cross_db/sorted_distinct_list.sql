{#- The distinct non-null values of a string expression, sorted and joined with ', ' (an aggregate; null
    when there are none). DuckDB: list(distinct) + list_sort, ~1.5x cheaper than an ordered
    string_agg(distinct) over every group (the reconciliation reports, issue #12's bench); BigQuery:
    string_agg(distinct ... order by). -#}
{% macro sorted_distinct_list(expr) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'gbpower')(expr)) }}
{%- endmacro %}

{% macro duckdb__sorted_distinct_list(expr) -%}
    nullif(array_to_string(list_sort(list(distinct {{ expr }}) filter (where {{ expr }} is not null)), ', '), '')
{%- endmacro %}

{% macro bigquery__sorted_distinct_list(expr) -%}
    string_agg(distinct {{ expr }}, ', ' order by {{ expr }})
{%- endmacro %}
