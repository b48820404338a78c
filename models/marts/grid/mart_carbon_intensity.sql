{#- Carbon intensity and renewable share per settlement period, from the generation mix (MW) and
    the fuel_carbon_factors seed. Domestic generation excludes interconnectors; imports are the
    positive interconnector flows. Intensities are MW-weighted averages of the factors (gCO2/kWh).
    Fuel types missing from the seed count in the totals with no emission factor and are counted
    in unknown_fuel_mw, so a new fuel type shows up instead of silently lowering intensity.
    Incremental: a run rebuilds the settlement days from the incremental floor on. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period'])) }}

with mix as (

    select * from {{ ref('mart_generation_mix') }}
    where {{ incremental_window('settlement_date') }}

),

factors as (

    select fuel_type, carbon_factor_g_per_kwh from {{ ref('fuel_carbon_factors') }}

),

flows as (

    select
        mix.settlement_date,
        mix.settlement_period,
        mix.start_time_utc,
        mix.is_interconnector,
        mix.is_renewable,
        factors.carbon_factor_g_per_kwh,
        case
            when mix.is_interconnector then greatest(mix.generation_mw, 0)
            else mix.generation_mw
        end as mw
    from mix
    left join factors
        on mix.fuel_type = factors.fuel_type
    where mix.generation_mw is not null

),

per_period as (

    select
        settlement_date,
        settlement_period,
        min(start_time_utc) as start_time_utc,
        sum(case when not is_interconnector then mw else 0 end) as domestic_generation_mw,
        sum(case when is_interconnector then mw else 0 end) as interconnector_import_mw,
        sum(case when is_renewable and not is_interconnector then mw else 0 end) as renewable_mw,
        sum(case when carbon_factor_g_per_kwh is null then mw else 0 end) as unknown_fuel_mw,
        sum(case when not is_interconnector then mw * coalesce(carbon_factor_g_per_kwh, 0) else 0 end)
            as domestic_emissions_g_per_h_per_kw,
        sum(mw * coalesce(carbon_factor_g_per_kwh, 0)) as total_emissions_g_per_h_per_kw
    from flows
    group by settlement_date, settlement_period

)

select
    settlement_date,
    settlement_period,
    start_time_utc,
    domestic_generation_mw,
    interconnector_import_mw,
    renewable_mw,
    unknown_fuel_mw,
    case when domestic_generation_mw > 0 then renewable_mw / domestic_generation_mw end as renewable_share,
    case
        when domestic_generation_mw > 0 then domestic_emissions_g_per_h_per_kw / domestic_generation_mw
    end as carbon_intensity_g_per_kwh,
    case
        when domestic_generation_mw + interconnector_import_mw > 0
            then total_emissions_g_per_h_per_kw / (domestic_generation_mw + interconnector_import_mw)
    end as carbon_intensity_incl_imports_g_per_kwh
from per_period
{{ pruning_order() }}
