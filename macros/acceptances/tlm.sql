{#- Transmission Loss Multipliers and Elexon's per-pair JSON (issue #12; docs/acceptances.md, "Transmission losses").

    - derived_pair_keys(): the keys of Elexon's DerivedDataBidOfferPairs objects (BOAV pairVolumes,
      EBOCF bidOfferPairCashflows, DISPTAV pairVolumes) with the pair id each stands for:
      positiveN = pair N (above FPN), negativeN = pair -N.
    - json_number(expr, key): the number under a top-level key of a JSON text column (null when absent). -#}

{% macro derived_pair_keys() -%}
    {%- set keys = [] -%}
    {%- for n in range(1, 7) -%}
        {%- do keys.append(('positive' ~ n, n)) -%}
        {%- do keys.append(('negative' ~ n, -n)) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{% macro json_number(expr, key) -%}
    {{ return(adapter.dispatch('json_number', 'gbpower')(expr, key)) }}
{%- endmacro %}

{% macro duckdb__json_number(expr, key) -%}
    try_cast(json_extract_string({{ expr }}, '$.{{ key }}') as double)
{%- endmacro %}

{% macro bigquery__json_number(expr, key) -%}
    safe_cast(json_value({{ expr }}, '$.{{ key }}') as float64)
{%- endmacro %}

{#- One row per (row of `relation`, pair) with a non-null value under that pair's key: the pair id and
    the value, next to the `keep` columns. Unpivots Elexon's pair objects without JSON table functions
    (the same SQL on DuckDB and BigQuery). -#}
{% macro unpivot_derived_pairs(relation, json_column, keep, value_name) -%}
    {%- for key, pair_id in derived_pair_keys() %}
    select
        {%- for column in keep %}
        {{ column }},
        {%- endfor %}
        {{ pair_id }} as pair_id,
        {{ json_number(json_column, key) }} as {{ value_name }}
    from {{ relation }}
    where {{ json_number(json_column, key) }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A pair's name in reports: side and pair id, e.g. "offer 1", "bid -2". -#}
{% macro pair_name(side_expr, pair_id_expr) -%}
    concat({{ side_expr }}, ' ', cast({{ pair_id_expr }} as {{ gbp_type('string') }}))
{%- endmacro %}
