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
    does not support it). `unique_key` defaults to `unified_key`, the unified models' surrogate key.

    `replace_where` (a condition on the model's own columns) makes the run a **window replace**, for a
    model whose rows do not map to whole days, such as events running across midnight: an incremental
    run first deletes every row matching the condition (a pre-hook, in the build's transaction on
    DuckDB), then inserts what the model selects — which must be exactly the rows matching it. So a
    row that a late-arriving input made obsolete (two events merged into one) is deleted even though
    no new row has its key. The condition must bound `partition_column` statically (BigQuery prunes
    the DELETE by it) and is rendered once, at parse time, like the lookback floor. On BigQuery the
    DELETE and the MERGE are separate jobs whose "today" can differ across midnight: select a
    superset of the deleted rows (a day wider; re-inserted rows are matched by key, so nothing
    doubles) and give `merge_days_before` so the MERGE's destination bound covers it. -#}
{% macro incremental_config(partition_column='settlement_date', data_type='date', cluster_by=none,
                            unique_key='unified_key', bigquery_strategy='merge', replace_where=none,
                            merge_days_before=0) -%}
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
                    'DBT_INTERNAL_DEST.' ~ partition_column ~ ' >= ' ~ (
                        incremental_floor(partition_column, data_type) if not merge_days_before
                        else 'cast(' ~ add_days(incremental_floor(), -1 * merge_days_before) ~ ' as ' ~ data_type ~ ')')
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
    {%- if replace_where -%}
        {%- do cfg.update({'pre_hook': [
            '{% if is_incremental() %}delete from {{ this }} where ' ~ replace_where ~ '{% endif %}'
        ]}) -%}
    {%- endif -%}
    {#- In data_test_scope 'window', tests read only what this build re-processed (data_test_scope.sql). -#}
    {%- do cfg.update({'meta': {'test_window': {'column': partition_column, 'type': data_type}}}) -%}
    {{ return(cfg) }}
{%- endmacro %}

{#- The rows an incremental run re-processes, as a `where` condition on an input (`true` on a full
    build): settlement-date `column` from the incremental floor on, shifted `days_before` earlier for
    inputs that feed later dates (the acceptance engine's profiles). For a view over a raw table
    partitioned on a timestamp (FUELHH/FUELINST: `start_time`), also give `pruning_column`: it is
    bounded a day earlier (a settlement day starts at 23:00 UTC the day before in summer), so
    BigQuery prunes those partitions while whole settlement days still come through. `data_type`
    'timestamp' compares a timestamp `column` with the floor's UTC midnight. Every incremental mart
    filters each input whose rows it rebuilds with it (docs/models.md). -#}
{% macro incremental_window(column='settlement_date', days_before=0, pruning_column=none, data_type='date') -%}
    {%- if is_incremental() -%}
        {%- set floor = add_days(incremental_floor(), -1 * days_before) if days_before else incremental_floor() -%}
        {{ column }} >= {{ 'cast(' ~ floor ~ ' as timestamp)' if data_type == 'timestamp' else floor }}
        {%- if pruning_column %} and {{ pruning_column }} >= cast({{ add_days(floor, -1) }} as timestamp){% endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The last clause of an incremental model: on DuckDB `order by` its partition column, so the table is
    stored in date order. Each row group then holds a few days, and a read of the window (the scheduled
    build's tests, the incremental models downstream) skips the rest by the row groups' min/max. Without
    it a full build writes rows in hash order, every row group spans the whole history, and a window
    read scans everything (docs/models.md). On BigQuery the day partitions do this: nothing. -#}
{% macro pruning_order(column='settlement_date') -%}
    {%- if target.type == 'duckdb' %}
order by {{ column }}
    {%- endif -%}
{%- endmacro %}
