{#- The settlement periods a model lacks (or has in excess), against the settlement calendar
    (int_settlement_periods), each with its kind: `known_source` (listed for `dataset_code` in the
    seed known_source_gaps: Elexon has no data, with the reason), `unexplained` (a missing period
    nobody has explained: an ingestion gap until `gbpower health` shows Elexon lacks it too) or
    `extra_period` (a row whose date and period are not in the calendar).
    One row per problem: settlement_date, settlement_period, problem ('missing' | 'extra'),
    gap_kind, gap_reason. Used by the settlement_period_completeness test (which fails on anything
    but known source gaps) and by the report rpt_settlement_period_gaps.

    Every settlement date in the model must have exactly the calendar's periods (46/48/50); with
    `check_missing_days=true` also every date between the model's first and last (so a whole missing
    day is caught too). Problems:
      * missing — a calendar period with no row;
      * extra   — a row whose (date, period) is not in the calendar (e.g. period 47 on a 46-period
                  day, or period 0/51).
    Days not yet complete are not flagged as missing: today (UTC) and later, and any period that
    ended less than `publication_delay_minutes` ago (the dataset's publication delay).
    `partial_run_edges=true` is for datasets fetched by publish time (FUELHH: a period is published
    when it ends, so the last period of day D arrives in the window of day D+1). At the edges of
    each contiguous run of loaded days the data are partial by construction, not by a gap: the day
    before a run holds only its last period (skipped entirely), and the last day of a run lacks its
    final period (that one period is skipped).
    `where_clause` restricts the model rows checked.
    `dataset_code` (e.g. 'BOAV') names the dataset's rows in known_source_gaps.
    The caller passes the calendar (ref('int_settlement_periods')) and the seed
    (ref('known_source_gaps')), so its own file names every input. -#}
{% macro settlement_period_gaps(model, calendar, known_gaps, date_column='settlement_date',
                                period_column='settlement_period', publication_delay_minutes=60,
                                check_missing_days=false, partial_run_edges=false, where_clause=none,
                                dataset_code=none) %}

with observed as (

    select distinct
        {{ date_column }} as settlement_date,
        {{ period_column }} as settlement_period
    from {{ model }}
    where {{ date_column }} is not null
    {%- if where_clause %} and ({{ where_clause }}){% endif %}

),

{% if check_missing_days %}
days as (

    select calendar_days.settlement_date
    from (select distinct settlement_date from {{ calendar }}) as calendar_days
    cross join (select min(settlement_date) as first_date, max(settlement_date) as last_date from observed) as r
    where calendar_days.settlement_date between r.first_date and r.last_date

),
{% else %}
days as (

    select distinct settlement_date from observed

),
{% endif %}

expected as (

    select calendar.settlement_date, calendar.settlement_period, calendar.end_time_utc, calendar.periods_in_day
    from {{ calendar }} as calendar
    inner join days
        on calendar.settlement_date = days.settlement_date

),

{%- if dataset_code %}
known as (

    select settlement_date, settlement_period_from, settlement_period_to, reason
    from {{ known_gaps }}
    where dataset = '{{ dataset_code }}'

),
{%- endif %}

missing as (

    select
        expected.settlement_date,
        expected.settlement_period,
        'missing' as problem
    from expected
    left join observed
        on expected.settlement_date = observed.settlement_date
        and expected.settlement_period = observed.settlement_period
    where observed.settlement_period is null
        and expected.settlement_date < {{ current_utc_date() }}
        {%- if partial_run_edges %}
        -- first day of a run: only the previous window's spill-over is there
        and exists (
            select 1 from observed as prev
            where prev.settlement_date = cast({{ dbt.dateadd('day', -1, 'expected.settlement_date') }} as date)
        )
        -- last day of a run: its final period is published in the next (unloaded) day's window
        and (
            exists (
                select 1 from observed as nxt
                where nxt.settlement_date = cast({{ dbt.dateadd('day', 1, 'expected.settlement_date') }} as date)
            )
            or expected.settlement_period < expected.periods_in_day
        )
        {%- endif %}
        and expected.end_time_utc <= {{ add_minutes(current_utc_timestamp(), -1 * (publication_delay_minutes | int)) }}

),

extra as (

    select
        observed.settlement_date,
        observed.settlement_period,
        'extra' as problem
    from observed
    left join {{ calendar }} as calendar
        on observed.settlement_date = calendar.settlement_date
        and observed.settlement_period = calendar.settlement_period
    where calendar.settlement_period is null

),

problems as (

    select * from missing
    union all
    select * from extra

)

select
    problems.settlement_date,
    problems.settlement_period,
    problems.problem,
    case
        when problems.problem = 'extra' then 'extra_period'
        {%- if dataset_code %}
        when known.reason is not null then 'known_source'
        {%- endif %}
        else 'unexplained'
    end as gap_kind,
    {% if dataset_code -%} known.reason {%- else -%} cast(null as {{ gbp_type('string') }}) {%- endif %} as gap_reason
from problems
{%- if dataset_code %}
left join known
    on problems.problem = 'missing'
    and known.settlement_date = problems.settlement_date
    and problems.settlement_period between known.settlement_period_from and known.settlement_period_to
{%- endif %}

{% endmacro %}
