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
    `_in_force_until`, the settlement date of the declaration that ended it (the one at valid_to) or,
    for a declaration in force when the row was written, that build's as-of date. A row before the
    floor can be the last one only if the declaration ending it is inside the window, or if none has
    ended it; in the latter case every build since has re-emitted it (it was in each build's window
    or the last before its floor), so it carries the previous build's as-of date, which is inside
    the window too while builds run at least every lookback_days (the rule every incremental model
    relies on; after a longer pause, `refresh_from` no later than the last build's as-of date, which
    keeps this true). So the run reads only stored rows with `_in_force_until` >= the floor. Those
    values mostly grow in the order rows are written, so DuckDB skips older row groups by min/max (deleted
    rows leave stale min/max behind, but stale values are old ones); on BigQuery the table is
    clustered on the column for the same reason (a cluster filter, not a partition one). A full
    refresh and the incremental history agree on it. On the first run after the column was added
    the stored rows have none: that run reads every stored row before the floor, as before. -#}
{%- set cfg = incremental_config(unique_key=['bm_unit', 'parameter', 'valid_from'], cluster_by=['_in_force_until', 'bm_unit']) -%}
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
        settlement_period
    from {{ code | lower }}_input
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}

),

intervals as (

    select
        *,
        lead(valid_from) over (partition by bm_unit, parameter order by valid_from) as valid_to,
        coalesce(
            lead(settlement_date) over (partition by bm_unit, parameter order by valid_from),
            {{ current_utc_date() }}
        ) as _in_force_until
    from declarations

)

{%- if is_incremental() %},

{#- A table built before `_in_force_until` existed gets it on this run (on_schema_change): read all -#}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set has_in_force_until = '_in_force_until' in stored_columns %}

stored as (

    select * from {{ this }}
    where settlement_date < {{ incremental_floor() }}
    {%- if has_in_force_until %}
        -- the last row before the floor is ended inside the window or still in force (header)
        and _in_force_until >= {{ incremental_floor() }}
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

-- the whole of each carried day (a day is replaced whole), not only its rows that pass stored's filter
carried_day_rows as (

    select * from {{ this }}
    where settlement_date in (select settlement_date from carried_days)

),

first_new_time as (

    select bm_unit, parameter, min(valid_from) as valid_from
    from declarations
    group by bm_unit, parameter

),

first_new as (

    select first_new_time.*, declarations.settlement_date
    from first_new_time
    inner join declarations
        on first_new_time.bm_unit = declarations.bm_unit
        and first_new_time.parameter = declarations.parameter
        and first_new_time.valid_from = declarations.valid_from

),

carried as (

    select
        {{ star_except(['valid_to', '_in_force_until'] if has_in_force_until else ['valid_to'], 'carried_day_rows') }},
        case
            when last_stored.valid_from is not null then first_new.valid_from
            else carried_day_rows.valid_to
        end as valid_to,
        case
            when last_stored.valid_from is not null then coalesce(first_new.settlement_date, {{ current_utc_date() }})
            {%- if has_in_force_until %}
            else carried_day_rows._in_force_until
            {%- endif %}
        end as _in_force_until
    from carried_day_rows
    left join last_stored
        on carried_day_rows.bm_unit = last_stored.bm_unit
        and carried_day_rows.parameter = last_stored.parameter
        and carried_day_rows.valid_from = last_stored.valid_from
    left join first_new
        on carried_day_rows.bm_unit = first_new.bm_unit
        and carried_day_rows.parameter = first_new.parameter

)
{%- endif %}

{%- set columns = [
    'bm_unit', 'national_grid_bm_unit', 'parameter', 'parameter_name', 'value', 'unit_of_measure',
    'rate1', 'elbow2', 'rate2', 'elbow3', 'rate3', 'valid_from', 'valid_to', 'settlement_date',
    'settlement_period', '_in_force_until',
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
