{#- Ordered string aggregation, joined with ', ' (null when nothing is aggregated), for the
    reconciliation reports' named faults and acceptance lists.

    DuckDB: list() + list_sort, ~1.5x cheaper than an ordered string_agg over every group (issue #12's
    bench); BigQuery: string_agg(... order by ...).

    - sorted_string_agg(expr, order_by, where): `expr` of the rows matching `where`, in the order of
      the expressions `order_by` (e.g. a number, then a name).
    - sorted_distinct_list(expr): the distinct non-null values of `expr`, sorted. -#}
{% macro sorted_string_agg(expr, order_by, where='true') -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'gbpower')(expr, order_by, where)) }}
{%- endmacro %}

{% macro duckdb__sorted_string_agg(expr, order_by, where) -%}
    nullif(array_to_string(list_transform(list_sort(
        list(struct_pack(
            {%- for o in order_by %}
            o{{ loop.index }} := {{ o }},
            {%- endfor %}
            v := {{ expr }}
        )) filter (where {{ where }})
    ), item -> item.v), ', '), '')
{%- endmacro %}

{% macro bigquery__sorted_string_agg(expr, order_by, where) -%}
    string_agg(
        case
            when {{ where }}
                then {{ expr }}
        end,
        ', '
        order by
            {{ order_by | join(',\n            ') }}
    )
{%- endmacro %}

{% macro sorted_distinct_list(expr) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'gbpower')(expr)) }}
{%- endmacro %}

{% macro duckdb__sorted_distinct_list(expr) -%}
    nullif(array_to_string(list_sort(
        list(distinct {{ expr }}) filter (where {{ expr }} is not null)
    ), ', '), '')
{%- endmacro %}

{% macro bigquery__sorted_distinct_list(expr) -%}
    string_agg(distinct {{ expr }}, ', ' order by {{ expr }})
{%- endmacro %}
