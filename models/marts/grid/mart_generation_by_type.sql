{#- Generation per settlement period and generation type from the two sources that report it:
    AGPT (B1620, actual generation per production type, incl. solar and onshore/offshore wind) and
    FUELHH (half-hourly generation per fuel type, transmission-metered). Both are average MW over
    the period. Each source's types map to a common type through the generation_types seed; the
    difference is shown (agpt_mw - fuelhh_mw), never reconciled away: a type only one source has
    (solar) has the other's column null. Interconnector flows are left out. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'generation_type'])) }}

with types as (

    select source, source_type, generation_type from {{ ref('generation_types') }}

),

agpt as (

    select
        agpt.settlement_date,
        agpt.settlement_period,
        coalesce(types.generation_type, agpt.psr_type) as generation_type,
        sum(cast(agpt.quantity as {{ gbp_type('number') }})) as agpt_mw,
        count(*) as agpt_types
    from {{ ref('bmrs_agpt_unified') }} as agpt
    left join types
        on types.source = 'AGPT'
        and agpt.psr_type = types.source_type
    where {{ incremental_window('agpt.settlement_date') }}
    group by 1, 2, 3

),

fuelhh as (

    select
        fuelhh.settlement_date,
        fuelhh.settlement_period,
        coalesce(types.generation_type, fuelhh.fuel_type) as generation_type,
        sum(cast(fuelhh.generation as {{ gbp_type('number') }})) as fuelhh_mw,
        count(*) as fuelhh_types
    from {{ ref('bmrs_fuelhh_unified') }} as fuelhh
    left join types
        on types.source = 'FUELHH'
        and fuelhh.fuel_type = types.source_type
    where fuelhh.fuel_type not like 'INT%'
        and {{ incremental_window('fuelhh.settlement_date', pruning_column='fuelhh.start_time') }}
    group by 1, 2, 3

),

joined as (

    select
        coalesce(agpt.settlement_date, fuelhh.settlement_date) as settlement_date,
        coalesce(agpt.settlement_period, fuelhh.settlement_period) as settlement_period,
        coalesce(agpt.generation_type, fuelhh.generation_type) as generation_type,
        agpt.agpt_mw,
        fuelhh.fuelhh_mw,
        coalesce(agpt.agpt_types, 0) as agpt_types,
        coalesce(fuelhh.fuelhh_types, 0) as fuelhh_types
    from agpt
    full outer join fuelhh
        on agpt.settlement_date = fuelhh.settlement_date
        and agpt.settlement_period = fuelhh.settlement_period
        and agpt.generation_type = fuelhh.generation_type

)

select
    joined.settlement_date,
    joined.settlement_period,
    calendar.start_time_utc,
    joined.generation_type,
    joined.agpt_mw,
    joined.fuelhh_mw,
    joined.agpt_mw - joined.fuelhh_mw as difference_mw,
    case
        when joined.agpt_mw is not null and joined.fuelhh_mw is not null then 'both'
        when joined.agpt_mw is not null then 'agpt_only'
        else 'fuelhh_only'
    end as reported_by,
    joined.agpt_types,
    joined.fuelhh_types
from joined
left join {{ ref('int_settlement_periods') }} as calendar
    on joined.settlement_date = calendar.settlement_date
    and joined.settlement_period = calendar.settlement_period
{{ pruning_order('joined.settlement_date') }}
