{#- Interconnector flows per settlement period and link, for the dashboard: name and country from
    the interconnectors seed, import / export / net (MW, average over the period; the sign of the
    FUELHH/FUELINST value: positive = import into GB), plus one TOTAL row per period summing every
    link. A link the seed does not know shows under its code with country 'Unknown'. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'interconnector_code'])) }}

with links as (

    select
        mix.settlement_date,
        mix.settlement_period,
        mix.start_time_utc,
        mix.fuel_type as interconnector_code,
        coalesce(seed.interconnector_name, mix.fuel_type) as interconnector_name,
        coalesce(seed.country, 'Unknown') as country,
        seed.capacity_mw,
        mix.generation_source,
        mix.generation_mw as net_import_mw
    from {{ ref('mart_generation_mix') }} as mix
    left join {{ ref('interconnectors') }} as seed
        on mix.fuel_type = seed.fuel_type
    where mix.is_interconnector
        and mix.generation_mw is not null
        and {{ incremental_window('mix.settlement_date') }}

),

per_link as (

    select
        settlement_date,
        settlement_period,
        start_time_utc,
        interconnector_code,
        interconnector_name,
        country,
        false as is_total,
        capacity_mw,
        generation_source,
        greatest(net_import_mw, 0) as import_mw,
        greatest(-net_import_mw, 0) as export_mw,
        net_import_mw
    from links

),

totals as (

    select
        settlement_date,
        settlement_period,
        min(start_time_utc) as start_time_utc,
        'TOTAL' as interconnector_code,
        'All interconnectors' as interconnector_name,
        cast(null as {{ gbp_type('string') }}) as country,
        true as is_total,
        sum(capacity_mw) as capacity_mw,
        max(generation_source) as generation_source,
        sum(import_mw) as import_mw,
        sum(export_mw) as export_mw,
        sum(net_import_mw) as net_import_mw
    from per_link
    group by settlement_date, settlement_period

),

unioned as (

    select * from per_link
    union all
    select * from totals

)

select
    settlement_date,
    settlement_period,
    start_time_utc,
    {{ uk_local_time('start_time_utc') }} as start_time_uk,
    interconnector_code,
    interconnector_name,
    country,
    is_total,
    import_mw,
    export_mw,
    net_import_mw,
    capacity_mw,
    case when capacity_mw > 0 then abs(net_import_mw) / capacity_mw end as utilisation,
    generation_source
from unioned
{{ pruning_order() }}
