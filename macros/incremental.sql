{#- Incremental settings of every incremental model: the large unified models
    (models/intermediate/unified) and the acceptance and revenue marts.

    The lookback window is a static expression — from `current date − lookback_days` (var), or from
    var `refresh_from` when set — so the same bound filters the source (raw partitions are pruned) and,
    on BigQuery, the MERGE destination (incremental_predicates: the target's partitions are pruned).
    After a pause longer than lookback_days, or after backfilling older history, run once with
    `--vars '{refresh_from: YYYY-MM-DD}'` (or `--full-refresh`). -#}

{#- The first settlement date (or its UTC midnight, type='timestamp') an incremental run re-processes. -#}
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

{#- `{{ config(**incremental_config(...)) }}` for an incremental model partitioned by day on
    `partition_column` (a `data_type` 'date' or 'timestamp' column).

    DuckDB: delete+insert on the partition column — a re-processed day is replaced whole, so rows that
    disappeared upstream disappear here too.
    BigQuery: partitioned by day on `partition_column`, clustered by `cluster_by` (if given), and
    `bigquery_strategy` 'merge' (the default) on `unique_key` with the destination pruned to the
    lookback window; 'insert_overwrite' replaces whole partitions (the better choice on real BigQuery
    for the acceptance marts — var `acceptances_bq_strategy` — but the BigQuery emulator the tests use
    does not support it). `unique_key` defaults to `unified_key`, the unified models' surrogate key. -#}
{% macro incremental_config(partition_column='settlement_date', data_type='date', cluster_by=none,
                            unique_key='unified_key', bigquery_strategy='merge') -%}
    {%- if target.type == 'bigquery' -%}
        {%- set cfg = {
            'materialized': 'incremental',
            'incremental_strategy': bigquery_strategy,
            'on_schema_change': 'append_new_columns',
            'partition_by': {'field': partition_column, 'data_type': data_type, 'granularity': 'day'},
        } -%}
        {%- if bigquery_strategy == 'merge' -%}
            {%- do cfg.update({
                'unique_key': unique_key,
                'incremental_predicates': [
                    'DBT_INTERNAL_DEST.' ~ partition_column ~ ' >= ' ~ incremental_floor(partition_column, data_type)
                ],
            }) -%}
        {%- endif -%}
        {%- if cluster_by -%}{%- do cfg.update({'cluster_by': cluster_by}) -%}{%- endif -%}
    {%- else -%}
        {%- set cfg = {
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': partition_column,
            'on_schema_change': 'append_new_columns',
        } -%}
    {%- endif -%}
    {#- In data_test_scope 'window', tests read only what this build re-processed (data_test_scope.sql). -#}
    {%- do cfg.update({'meta': {'test_window': {'column': partition_column, 'type': data_type}}}) -%}
    {{ return(cfg) }}
{%- endmacro %}
