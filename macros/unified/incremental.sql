{#- Incremental settings shared by the large unified models.

    The lookback window is a static expression — settlement dates from `current date − lookback_days`
    (var), or from var `refresh_from` when set — so the same bound filters the source (raw partitions
    are pruned) and, on BigQuery, the MERGE destination (incremental_predicates: the target's
    partitions are pruned). After a pause longer than lookback_days, or after backfilling older
    history, run once with `--vars '{refresh_from: YYYY-MM-DD}'` (or `--full-refresh`).

    DuckDB: delete+insert on the partition column (a re-processed day is replaced whole, so rows that
    disappeared upstream disappear here too). BigQuery: merge on `unified_key` (insert_overwrite is
    not used: the emulator does not support it). -#}

{% macro incremental_floor(column='settlement_date', type='date') -%}
    {%- if var('refresh_from', none) -%}
        {%- set floor = "date '" ~ var('refresh_from') ~ "'" -%}
    {%- else -%}
        {%- set floor = add_days(current_utc_date(), -1 * (var('lookback_days') | int)) -%}
    {%- endif -%}
    {%- if type == 'timestamp' -%}
        cast({{ floor }} as timestamp)
    {%- else -%}
        {{ floor }}
    {%- endif -%}
{%- endmacro %}

{% macro unified_incremental_config(partition_column='settlement_date', data_type='date', cluster_by=none) -%}
    {%- set floor = incremental_floor(partition_column, data_type) -%}
    {%- if target.type == 'bigquery' -%}
        {%- set cfg = {
            'materialized': 'incremental',
            'incremental_strategy': 'merge',
            'unique_key': 'unified_key',
            'on_schema_change': 'append_new_columns',
            'partition_by': {'field': partition_column, 'data_type': data_type, 'granularity': 'day'},
            'incremental_predicates': ['DBT_INTERNAL_DEST.' ~ partition_column ~ ' >= ' ~ floor],
        } -%}
        {%- if cluster_by -%}{%- do cfg.update({'cluster_by': cluster_by}) -%}{%- endif -%}
    {%- else -%}
        {%- set cfg = {
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': partition_column,
            'on_schema_change': 'append_new_columns',
        } -%}
    {%- endif -%}
    {{ return(cfg) }}
{%- endmacro %}

{#- Kept for models that call it: the same as is_incremental() (see macros/cross_db/is_incremental.sql,
    which already compiles the full-refresh form offline). -#}
{% macro gbp_is_incremental() -%}
    {{ return(is_incremental()) }}
{%- endmacro %}
