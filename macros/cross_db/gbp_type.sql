{#- Warehouse type for a registry column type (string, integer, number, boolean, date, timestamp, json). -#}
{% macro gbp_type(kind) -%}
    {{ return(adapter.dispatch('gbp_type', 'gbpower')(kind)) }}
{%- endmacro %}

{% macro duckdb__gbp_type(kind) -%}
    {%- set types = {'string': 'varchar', 'integer': 'bigint', 'number': 'double', 'boolean': 'boolean',
                     'date': 'date', 'timestamp': 'timestamp', 'json': 'varchar'} -%}
    {{- types[kind] -}}
{%- endmacro %}

{% macro bigquery__gbp_type(kind) -%}
    {%- set types = {'string': 'string', 'integer': 'int64', 'number': 'float64', 'boolean': 'bool',
                     'date': 'date', 'timestamp': 'timestamp', 'json': 'string'} -%}
    {{- types[kind] -}}
{%- endmacro %}

{#- Cast that yields null instead of failing on a bad value (text fields of the reference list). -#}
{% macro gbp_safe_cast(expr, kind) -%}
    {{ return(adapter.dispatch('gbp_safe_cast', 'gbpower')(expr, kind)) }}
{%- endmacro %}

{% macro duckdb__gbp_safe_cast(expr, kind) -%}
    try_cast({{ expr }} as {{ gbp_type(kind) }})
{%- endmacro %}

{% macro bigquery__gbp_safe_cast(expr, kind) -%}
    safe_cast({{ expr }} as {{ gbp_type(kind) }})
{%- endmacro %}
