{#- `select *` without some columns: DuckDB `* exclude (...)`, BigQuery `* except (...)`. -#}
{% macro star_except(columns, relation_alias=none) -%}
    {{ return(adapter.dispatch('star_except', 'gbpower')(columns, relation_alias)) }}
{%- endmacro %}

{% macro duckdb__star_except(columns, relation_alias) -%}
    {% if relation_alias %}{{ relation_alias }}.{% endif %}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro bigquery__star_except(columns, relation_alias) -%}
    {% if relation_alias %}{{ relation_alias }}.{% endif %}* except ({{ columns | join(', ') }})
{%- endmacro %}
