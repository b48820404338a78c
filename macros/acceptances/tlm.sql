{#- Transmission Loss Multipliers and Elexon's per-pair JSON (issue #12; docs/acceptances.md, "Transmission losses").

    - derived_pair_keys(): the keys of Elexon's DerivedDataBidOfferPairs objects (BOAV pairVolumes,
      EBOCF bidOfferPairCashflows, DISPTAV pairVolumes) with the pair id each stands for:
      positiveN = pair N (above FPN), negativeN = pair -N. -#}

{% macro derived_pair_keys() -%}
    {%- set keys = [] -%}
    {%- for n in range(1, 7) -%}
        {%- do keys.append(('positive' ~ n, n)) -%}
        {%- do keys.append(('negative' ~ n, -n)) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- One row per (row of `relation`, pair) with a non-null value under that pair's key: the pair id and
    the value, next to the `keep` columns. One scan of `relation`: each row's pairs are unnested from
    an array of (pair id, value) structs (twelve union branches read it twelve times). DuckDB parses
    the JSON once per row (json_extract of the twelve paths at once); BigQuery reads each key with
    json_value. -#}
{% macro unpivot_derived_pairs(relation, json_column, keep, value_name) -%}
    {{ return(adapter.dispatch('unpivot_derived_pairs', 'gbpower')(relation, json_column, keep, value_name)) }}
{%- endmacro %}

{% macro duckdb__unpivot_derived_pairs(relation, json_column, keep, value_name) -%}
    select
        {%- for column in keep %}
        {{ column }},
        {%- endfor %}
        pair.pair_id,
        pair.pair_value as {{ value_name }}
    from (
        select
            {%- for column in keep %}
            {{ column }},
            {%- endfor %}
            unnest([
                {%- for key, pair_id in derived_pair_keys() %}
                {'pair_id': {{ pair_id }}, 'pair_value': parsed[{{ loop.index }}]}{{ ',' if not loop.last }}
                {%- endfor %}
            ]) as pair
        from (
            select
                *,
                try_cast(json_extract({{ json_column }}, [
                    {%- for key, pair_id in derived_pair_keys() %}
                    '$.{{ key }}'{{ ',' if not loop.last }}
                    {%- endfor %}
                ]) as double[]) as parsed
            from {{ relation }}
        ) as with_parsed
    ) as unnested
    where pair.pair_value is not null
{%- endmacro %}

{% macro bigquery__unpivot_derived_pairs(relation, json_column, keep, value_name) -%}
    select
        {%- for column in keep %}
        source_row.{{ column }},
        {%- endfor %}
        pair.pair_id,
        pair.pair_value as {{ value_name }}
    from {{ relation }} as source_row
    cross join unnest([
        {%- for key, pair_id in derived_pair_keys() %}
        struct({{ pair_id }} as pair_id, safe_cast(json_value(source_row.{{ json_column }}, '$.{{ key }}') as float64) as pair_value)
        {{- ',' if not loop.last }}
        {%- endfor %}
    ]) as pair
    where pair.pair_value is not null
{%- endmacro %}

{#- A pair's name in reports: side and pair id, e.g. "offer 1", "bid -2". -#}
{% macro pair_name(side_expr, pair_id_expr) -%}
    concat({{ side_expr }}, ' ', cast({{ pair_id_expr }} as {{ gbp_type('string') }}))
{%- endmacro %}
