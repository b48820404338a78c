{#- What a data test checks: the whole history, or only the window the scheduled build changed.

    var `data_test_scope`:
    * `all` (the default: `dbt build`/`dbt test` by hand, CI, the demo, and the weekly
      `full-history-tests` job) — every test reads its whole model;
    * `window` (the 30-minute `dbt-build` job in orchestration/crontab) — a test of a model that
      declares `meta.test_window` reads only the rows from the incremental floor on (the same bound
      the incremental models re-process: `lookback_days`, or `refresh_from`), so its cost stays flat
      as history grows and, on BigQuery, it reads only those partitions. A model without
      `meta.test_window` (small reference tables, and marts whose cost does not grow) is read whole.

    `meta.test_window` is `{column: <partition column>, type: date|timestamp}`, plus `whole_days:
    <settlement date column>` for a timestamp column of a model with settlement days, and `ahead_days: N`
    for a model that also holds the future (the calendar, to 2035): the window then ends N days after
    today, so the test reads the days around now rather than every future day; `incremental_config`
    sets it for every incremental model, and `loaders/dev/gen_staging.py` for the staging and unified
    views from the registry's partition column. Nothing stops covering old data: the weekly job runs
    the same tests with `data_test_scope: all`, and `gbpower health` reports when it last passed. -#}

{#- dbt wraps every generic test's `model` argument in this macro. It keeps dbt's own `where` config
    and adds the window bound in `window` scope. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set window = data_test_window_condition() -%}
    {%- if window -%}{%- do conditions.append(window) -%}{%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The window bound for the model this test is attached to, or none (whole model). -#}
{% macro data_test_window_condition() -%}
    {%- set scope = var('data_test_scope') -%}
    {%- if scope not in ('all', 'window') -%}
        {{ exceptions.raise_compiler_error("var data_test_scope must be 'all' or 'window', got '" ~ scope ~ "'") }}
    {%- endif -%}
    {%- if scope != 'window' or not execute -%}{{ return(none) }}{%- endif -%}
    {%- set window = data_test_window_of(model.get('attached_node')) -%}
    {%- if not window -%}{{ return(none) }}{%- endif -%}
    {%- set type = window.get('type', 'date') -%}
    {%- set ahead = window.get('ahead_days') -%}
    {%- set until = '' if ahead is none else ' and ' ~ window['column'] ~ ' < ' ~ add_days(current_utc_date(), ahead | int) -%}
    {%- if window.get('whole_days') -%}
        {#- A timestamp partition column, tested by whole settlement days: the first day's periods
            start up to an hour before its UTC midnight, so the partition bound reaches a day back. -#}
        {%- set day = window['whole_days'] -%}
        {%- set floor = incremental_floor(day, 'date') -%}
        {{ return(window['column'] ~ ' >= cast(' ~ add_days(floor, -1) ~ ' as timestamp) and ' ~ day ~ ' >= ' ~ floor ~ until) }}
    {%- endif -%}
    {{ return(window['column'] ~ ' >= ' ~ incremental_floor(window['column'], type) ~ until) }}
{%- endmacro %}

{#- `meta.test_window` of a graph node (model), or none. -#}
{% macro data_test_window_of(unique_id) -%}
    {%- set node = graph.nodes.get(unique_id) if unique_id else none -%}
    {%- if node is none -%}{{ return(none) }}{%- endif -%}
    {%- set meta = node.config.get('meta', {}) or node.get('meta', {}) -%}
    {{ return(meta.get('test_window')) }}
{%- endmacro %}
