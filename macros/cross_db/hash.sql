{#- A null-safe hex MD5 of several columns (surrogate keys for merges and tests). -#}
{% macro gbp_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ gbp_type('string') ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('gbp_hash', 'gbpower')(parts | join("\n        || '|' || "))) }}
{%- endmacro %}

{% macro default__gbp_hash(expr) -%}
    md5({{ expr }})
{%- endmacro %}

{% macro bigquery__gbp_hash(expr) -%}
    to_hex(md5({{ expr }}))
{%- endmacro %}
