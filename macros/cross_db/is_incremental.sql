{#- dbt's is_incremental(), plus: under `dbt compile --no-introspect` (the offline BigQuery compile
    that `make lint` runs) there is no connection to look the relation up, so compile the
    full-refresh form. Overrides dbt's global macro for every model in the project; otherwise
    identical to it. -#}
{% macro is_incremental() %}
    {% if not execute or flags.INTROSPECT is false %}
        {{ return(False) }}
    {% else %}
        {% set relation = adapter.get_relation(this.database, this.schema, this.table) %}
        {{ return(relation is not none
                  and relation.type == 'table'
                  and model.config.materialized == 'incremental'
                  and not should_full_refresh()) }}
    {% endif %}
{% endmacro %}
