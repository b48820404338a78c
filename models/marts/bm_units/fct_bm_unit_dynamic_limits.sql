{#- Dynamic data of every BM unit as validity intervals: one row per declaration of one parameter
    (SEL, SIL, MDV, MDP, NDZ, NTO, NTB, MZT, MNZT, RURE, RDRE, RURI, RDRI), valid from its time until
    the unit's next declaration of the same parameter (valid_to null: still in force). Tall rather
    than wide: the parameters are declared independently, at different times, so a wide row would
    have to cut every unit's timeline at every change of any parameter; tall keeps each declaration
    as Elexon published it, and `where parameter = 'SEL'` (or a pivot) reads one limit next to the
    acceptances (acceptance_time >= valid_from and (valid_to is null or acceptance_time < valid_to)).
    Re-published declarations: the unified views keep the newest version per (unit, time).

    Incremental on the declaration's settlement date. A run re-reads the declarations from the
    incremental floor on; the only stored row a new declaration can close is each unit-parameter's
    last one before the floor, so the run also re-emits the stored settlement days holding those rows
    (their other rows unchanged, the last ones closed by the first new declaration). Those days can
    lie before the floor, so on BigQuery the MERGE is not pruned to the lookback window (the table
    is small: declarations, not time series).

    Finding those rows without reading the whole history (issue #13): every row carries
    `_built_as_of`, the as-of date of the build that last wrote it. Each build writes its window and
    re-emits the days of the last rows before its floor, so the last row before this build's floor
    was written by the previous build (it was in that build's window, or the last one before that
    build's earlier floor): the run reads only stored rows with `_built_as_of` >= the previous
    build's, found by one query on the table before the run. Rows are appended in build order, so on
    DuckDB the row groups of older builds are skipped by their min/max; on BigQuery the table is
    clustered on `_built_as_of` for the same reason (a cluster filter, not a partition one). Not when that does not hold
    (the previous build has no `_built_as_of` — the column was just added —, `refresh_from` moves
    the floor back, or this build's as-of date is earlier than the last one's): then it reads every
    stored row before the floor, as before. -#}
{%- set cfg = incremental_config(unique_key=['bm_unit', 'parameter', 'valid_from'], cluster_by=['_built_as_of', 'bm_unit']) -%}
{%- do cfg.pop('incremental_predicates', none) -%}
{%- do cfg['meta'].update({'merge_unbounded': 'a new declaration closes the last stored one, which may be older than the lookback; declarations are few'}) -%}
{{ config(**cfg) }}

{%- set number = gbp_type('number') -%}
{#- (dataset, its unified model (literal refs, so lineage and grep see them), value column, what it
    is, unit of measure); the run-rate datasets' value is rate1 -#}
{%- set parameters = [
    ('SEL', ref('bmrs_sel_unified'), 'level', 'Stable export limit', 'MW'),
    ('SIL', ref('bmrs_sil_unified'), 'level', 'Stable import limit', 'MW'),
    ('MDV', ref('bmrs_mdv_unified'), 'volume_max', 'Maximum delivery volume', 'MWh'),
    ('MDP', ref('bmrs_mdp_unified'), 'period_max', 'Maximum delivery period', 'minutes'),
    ('NDZ', ref('bmrs_ndz_unified'), 'notice', 'Notice to deviate from zero', 'minutes'),
    ('NTO', ref('bmrs_nto_unified'), 'notice', 'Notice to deliver offers', 'minutes'),
    ('NTB', ref('bmrs_ntb_unified'), 'notice', 'Notice to deliver bids', 'minutes'),
    ('MZT', ref('bmrs_mzt_unified'), 'period_min', 'Minimum zero time', 'minutes'),
    ('MNZT', ref('bmrs_mnzt_unified'), 'period_min', 'Minimum non-zero time', 'minutes'),
    ('RURE', ref('bmrs_rure_unified'), 'rate1', 'Run-up rate export', 'MW/minute'),
    ('RDRE', ref('bmrs_rdre_unified'), 'rate1', 'Run-down rate export', 'MW/minute'),
    ('RURI', ref('bmrs_ruri_unified'), 'rate1', 'Run-up rate import', 'MW/minute'),
    ('RDRI', ref('bmrs_rdri_unified'), 'rate1', 'Run-down rate import', 'MW/minute'),
] -%}

with

{% for code, unified, value_column, description, uom in parameters %}
{{ code | lower }}_input as (

    select * from {{ unified }}
    where {{ incremental_window('settlement_date') }}

),

{% endfor -%}

declarations as (

    {%- for code, unified, value_column, description, uom in parameters %}
    {%- set rates = value_column == 'rate1' %}
    select
        coalesce(bm_unit, national_grid_bm_unit) as bm_unit,
        national_grid_bm_unit,
        '{{ code }}' as parameter,
        '{{ description }}' as parameter_name,
        cast({{ value_column }} as {{ number }}) as value,
        '{{ uom }}' as unit_of_measure,
        {%- for rate_column in ['rate1', 'elbow2', 'rate2', 'elbow3', 'rate3'] %}
        cast({{ rate_column if rates else 'null' }} as {{ number }}) as {{ rate_column }},
        {%- endfor %}
        time as valid_from,
        settlement_date,
        settlement_period,
        {{ current_utc_date() }} as _built_as_of
    from {{ code | lower }}_input
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}

),

intervals as (

    select
        *,
        lead(valid_from) over (partition by bm_unit, parameter order by valid_from) as valid_to
    from declarations

)

{%- if is_incremental() %},

{#- the previous build's as-of date (see the header); none: read every stored row before the floor.
    A table built before the column existed gets it on this run (on_schema_change) -#}
{%- set previous_build = none -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set has_built_as_of = '_built_as_of' in stored_columns -%}
{%- if execute and has_built_as_of and not var('refresh_from', none) -%}
    {%- set found = run_query('select cast(max(_built_as_of) as ' ~ gbp_type('string') ~ ') from ' ~ this) -%}
    {%- set previous_build = found.columns[0].values()[0] -%}
{%- endif %}

stored as (

    select * from {{ this }}
    where settlement_date < {{ incremental_floor() }}
    {%- if previous_build %}
        -- the last row before the floor was written by the previous build (header)
        and (_built_as_of >= date '{{ previous_build }}' or {{ current_utc_date() }} < date '{{ previous_build }}')
    {%- endif %}

),

-- each unit-parameter's last stored declaration before the floor: a new declaration closes it
last_stored as (

    select bm_unit, parameter, max(valid_from) as valid_from
    from stored
    group by bm_unit, parameter

),

carried_days as (

    select distinct stored.settlement_date
    from stored
    inner join last_stored
        on stored.bm_unit = last_stored.bm_unit
        and stored.parameter = last_stored.parameter
        and stored.valid_from = last_stored.valid_from

),

first_new as (

    select bm_unit, parameter, min(valid_from) as valid_from
    from declarations
    group by bm_unit, parameter

),

carried as (

    select
        {{ star_except(['valid_to', '_built_as_of'] if has_built_as_of else ['valid_to'], 'stored') }},
        case
            when last_stored.valid_from is not null then first_new.valid_from
            else stored.valid_to
        end as valid_to,
        {{ current_utc_date() }} as _built_as_of
    from stored
    inner join carried_days
        on stored.settlement_date = carried_days.settlement_date
    left join last_stored
        on stored.bm_unit = last_stored.bm_unit
        and stored.parameter = last_stored.parameter
        and stored.valid_from = last_stored.valid_from
    left join first_new
        on stored.bm_unit = first_new.bm_unit
        and stored.parameter = first_new.parameter

)
{%- endif %}

{%- set columns = [
    'bm_unit', 'national_grid_bm_unit', 'parameter', 'parameter_name', 'value', 'unit_of_measure',
    'rate1', 'elbow2', 'rate2', 'elbow3', 'rate3', 'valid_from', 'valid_to', 'settlement_date',
    'settlement_period', '_built_as_of',
] %}

select
    {{ columns | join(',\n    ') }}
from intervals
{%- if is_incremental() %}

union all

select
    {{ columns | join(',\n    ') }}
from carried
{%- endif %}
{{ pruning_order() }}
