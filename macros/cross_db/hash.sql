{#- A null-safe hash of several columns as a hex string (surrogate keys).
    BigQuery: MD5 of the '|'-joined values (the merge key of the incremental unified models).
    DuckDB: its native 64-bit hash(), ~5x cheaper than MD5 on millions of rows; DuckDB's incremental
    models replace whole days and never merge on it. -#}
{% macro gbp_hash(columns) -%}
    {{ return(adapter.dispatch('gbp_hash', 'gbpower')(columns)) }}
{%- endmacro %}

{% macro duckdb__gbp_hash(columns) -%}
    lower(printf('%016x', hash(
        {{ columns | join(',\n        ') }}
    )))
{%- endmacro %}

{% macro bigquery__gbp_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as string), '<null>')") -%}
    {%- endfor -%}
    to_hex(md5({{ parts | join("\n        || '|' || ") }}))
{%- endmacro %}
