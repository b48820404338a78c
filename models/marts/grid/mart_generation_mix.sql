{#- Generation mix per settlement period and fuel type (MW — average power, not energy).

    FUELHH gives the half-hourly average per fuel type; FUELINST the 5-minute averages, averaged
    here over the period. Interconnectors are flagged (and kept apart in the carbon mart): their
    values are import flows. generation_mw prefers FUELHH and falls back to FUELINST. Incremental:
    a run rebuilds the settlement days from the incremental floor on. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'fuel_type'])) }}

with fuelhh as (

    select
        settlement_date,
        settlement_period,
        fuel_type,
        cast(generation as {{ gbp_type('number') }}) as fuelhh_mw
    from {{ ref('bmrs_fuelhh_unified') }}
    where {{ incremental_window('settlement_date', pruning_column='start_time') }}

),

fuelinst as (

    select
        settlement_date,
        settlement_period,
        fuel_type,
        avg(cast(generation as {{ gbp_type('number') }})) as fuelinst_avg_mw,
        count(*) as fuelinst_samples
    from {{ ref('bmrs_fuelinst_unified') }}
    where {{ incremental_window('settlement_date', pruning_column='start_time') }}
    group by settlement_date, settlement_period, fuel_type

),

joined as (

    select
        coalesce(fuelhh.settlement_date, fuelinst.settlement_date) as settlement_date,
        coalesce(fuelhh.settlement_period, fuelinst.settlement_period) as settlement_period,
        coalesce(fuelhh.fuel_type, fuelinst.fuel_type) as fuel_type,
        fuelhh.fuelhh_mw,
        fuelinst.fuelinst_avg_mw,
        coalesce(fuelinst.fuelinst_samples, 0) as fuelinst_samples
    from fuelhh
    full outer join fuelinst
        on fuelhh.settlement_date = fuelinst.settlement_date
        and fuelhh.settlement_period = fuelinst.settlement_period
        and fuelhh.fuel_type = fuelinst.fuel_type

),

factors as (

    select * from {{ ref('fuel_carbon_factors') }}

)

select
    joined.settlement_date,
    joined.settlement_period,
    calendar.start_time_utc,
    joined.fuel_type,
    coalesce(factors.fuel_category, 'Unknown') as fuel_category,
    coalesce(factors.is_interconnector, joined.fuel_type like 'INT%') as is_interconnector,
    coalesce(factors.is_renewable, false) as is_renewable,
    joined.fuelhh_mw,
    joined.fuelinst_avg_mw,
    joined.fuelinst_samples,
    coalesce(joined.fuelhh_mw, joined.fuelinst_avg_mw) as generation_mw,
    case when joined.fuelhh_mw is not null then 'FUELHH' else 'FUELINST' end as generation_source
from joined
left join factors
    on joined.fuel_type = factors.fuel_type
left join {{ ref('int_settlement_periods') }} as calendar
    on joined.settlement_date = calendar.settlement_date
    and joined.settlement_period = calendar.settlement_period
{{ pruning_order('joined.settlement_date') }}
