{#- Settlement-period completeness against the settlement calendar (int_settlement_periods).

    Every settlement date in the model must have exactly the calendar's periods (46/48/50); with
    `check_missing_days=true` also every date between the model's first and last (so a whole missing
    day is caught too). Fails with one row per problem:
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
    `dataset_code` (e.g. 'BOAV') leaves out the periods listed for that dataset in the seed
    `known_source_gaps` (Elexon has no data for them: a source gap, documented with its reason).
    Severity is `warn` by default: under `dbt build` an error would stop every downstream mart for
    good over one permanent historical gap. `gbpower health` reports ingestion gaps as errors
    instead (see docs/operations.md, "Gaps"). -#}
{% test settlement_period_completeness(model, date_column='settlement_date', period_column='settlement_period',
                                       publication_delay_minutes=60, check_missing_days=false,
                                       partial_run_edges=false, where_clause=none, dataset_code=none) %}
{{ config(severity='warn') }}

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
    from (select distinct settlement_date from {{ ref('int_settlement_periods') }}) as calendar_days
    cross join (select min(settlement_date) as first_date, max(settlement_date) as last_date from observed) as r
    where calendar_days.settlement_date between r.first_date and r.last_date

),
{% else %}
days as (

    select distinct settlement_date from observed

),
{% endif %}

expected as (

    select calendar.settlement_date, calendar.settlement_period, calendar.end_time_utc
    from {{ ref('int_settlement_periods') }} as calendar
    inner join days
        on calendar.settlement_date = days.settlement_date

),

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
            or expected.settlement_period < (
                select max(cal.settlement_period) from {{ ref('int_settlement_periods') }} as cal
                where cal.settlement_date = expected.settlement_date
            )
        )
        {%- endif %}
        and expected.end_time_utc <= {{ add_minutes(current_utc_timestamp(), -1 * (publication_delay_minutes | int)) }}
        {%- if dataset_code %}
        -- documented source gaps: Elexon has no data for these periods
        and not exists (
            select 1 from {{ ref('known_source_gaps') }} as known
            where known.dataset = '{{ dataset_code }}'
                and known.settlement_date = expected.settlement_date
                and expected.settlement_period between known.settlement_period_from and known.settlement_period_to
        )
        {%- endif %}

),

extra as (

    select
        observed.settlement_date,
        observed.settlement_period,
        'extra' as problem
    from observed
    left join {{ ref('int_settlement_periods') }} as calendar
        on observed.settlement_date = calendar.settlement_date
        and observed.settlement_period = calendar.settlement_period
    where calendar.settlement_period is null

)

select * from missing
union all
select * from extra

{% endtest %}
