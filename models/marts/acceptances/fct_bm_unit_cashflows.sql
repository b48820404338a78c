{#- BM cashflows per unit and settlement period, rolled up from boalf_complete, before and after the
    Transmission Loss Multiplier (docs/acceptances.md, "Transmission losses").

    RR-flagged acceptances are settled as replacement reserve, not in the BM: they are left out of
    every column here (they stay visible in boalf_complete). SO-flagged acceptances are real actions
    and are included. Cashflows sum only `priced` rows and `priced_deemed_from_stack` ones (volume
    beyond the submitted pairs of a deemed acceptance, at the deemed pairs' ISPSTACK price); volume
    that could not be priced (no BOD, a sentinel price, outside the submitted bands, a deemed price not
    in our inputs, no FPN) is counted in the volume totals and shown
    separately as unpriced_volume_mwh, so a gap in pricing is never silently dropped.

    Elexon settles volume x price x TLM (BSC T3.10), TLM = 1 + TLF + TLMO+/- (BSC T2.3); the volumes
    are not loss-adjusted. The TLM here is the BMRA's indicative one: 1 + the unit's
    transmissionLossFactor (BMUNITS; 0 in seasons before P350, seed column zonal_tlf) + the season's
    estimated adjustment ETLMO+ (delivering) or ETLMO- (offtaking: units whose reference
    productionOrConsumptionFlag is C) from seeds/transmission_loss_parameters.csv. Where the seed has
    no row for the date, the unit has no TLF in a zonal-TLF season, or the side's ETLMO is blank, the
    TLM is 1 and tlm_source says so. Where Elexon's settlement stack (ISPSTACK) gives the unit-period a
    transmissionLossMultiplier -- one value on all its items -- that published TLM is used instead
    (tlm_source 'published'): it is what the BMRA applied. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'bm_unit'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

{#- the statuses whose rows carry a cashflow (boalf_complete.pricing_status) -#}
{%- set paid = "('priced', 'priced_deemed_from_stack')" %}

with acceptances as (

    select * from {{ ref('boalf_complete') }}
    where not rr_flag
        and {{ incremental_window('settlement_date') }}

),

unit_periods as (

    select
        settlement_date,
        settlement_period,
        bm_unit,
        max(national_grid_bm_unit) as national_grid_bm_unit,
        sum(offer_volume_mwh) as total_offer_volume_mwh,
        sum(bid_volume_mwh) as total_bid_volume_mwh,
        sum(case when pricing_status in {{ paid }} then offer_volume_mwh else 0 end) as priced_offer_volume_mwh,
        sum(case when pricing_status in {{ paid }} then bid_volume_mwh else 0 end) as priced_bid_volume_mwh,
        sum(case when pricing_status in {{ paid }} and offer_volume_mwh <> 0
            then offer_volume_mwh * offer_price else 0 end) as offer_cashflow_gbp,
        sum(case when pricing_status in {{ paid }} and bid_volume_mwh <> 0
            then bid_volume_mwh * bid_price else 0 end) as bid_cashflow_gbp,
        sum(case when pricing_status in {{ paid }} then cashflow_gbp else 0 end) as net_cashflow_gbp,
        sum(case when pricing_status not in {{ paid }} then offer_volume_mwh - bid_volume_mwh else 0 end)
            as unpriced_volume_mwh,
        count(distinct acceptance_number) as acceptance_count
    from acceptances
    group by settlement_date, settlement_period, bm_unit

),

-- the TLM Elexon's settlement stack applied per unit-period: used when all of the unit-period's
-- items carry the same one (the stack names a unit by its Elexon id)
published_tlm as (

    select
        settlement_date,
        settlement_period,
        id as unit_id,
        min(transmission_loss_multiplier) as published_tlm
    from {{ ref('bmrs_ispstack_unified') }}
    where transmission_loss_multiplier is not null
        and id is not null
        and {{ incremental_window('settlement_date') }}
    group by settlement_date, settlement_period, id
    having max(transmission_loss_multiplier) - min(transmission_loss_multiplier) < 0.0000001

),

-- the season's estimated losses adjustments per settlement date (an inner range join: BigQuery
-- allows those; the fact table then joins on the date alone)
season_parameters as (

    select
        dates.settlement_date,
        parameters.etlmo_delivering,
        parameters.etlmo_offtaking,
        parameters.zonal_tlf,
        parameters.basis
    from (select distinct settlement_date from unit_periods) as dates
    inner join {{ ref('transmission_loss_parameters') }} as parameters
        on dates.settlement_date >= parameters.effective_from
        and dates.settlement_date <= parameters.effective_to

),

-- the reference list's TLF and production/consumption flag, keyed by either of a unit's ids
-- (equality joins only); per id the latest row that has a TLF
reference_rows as (

    select
        elexon_bm_unit as unit_id,
        {{ gbp_safe_cast('transmission_loss_factor', 'number') }} as transmission_loss_factor,
        production_or_consumption_flag,
        ingested_at
    from {{ ref('stg_bmrs__bmunits') }}
    where elexon_bm_unit is not null
    union all
    select
        national_grid_bm_unit as unit_id,
        {{ gbp_safe_cast('transmission_loss_factor', 'number') }} as transmission_loss_factor,
        production_or_consumption_flag,
        ingested_at
    from {{ ref('stg_bmrs__bmunits') }}
    where national_grid_bm_unit is not null
        and national_grid_bm_unit <> coalesce(elexon_bm_unit, '')

),

unit_reference as (

    select unit_id, transmission_loss_factor, production_or_consumption_flag
    from (
        select
            *,
            row_number() over (
                partition by unit_id
                order by case when transmission_loss_factor is null then 1 else 0 end, ingested_at desc
            ) as reference_rank
        from reference_rows
    ) as ranked
    where reference_rank = 1

),

matched as (

    select
        unit_period.*,
        coalesce(by_elexon_id.transmission_loss_factor, by_national_grid_id.transmission_loss_factor)
            as reference_tlf,
        coalesce(by_elexon_id.production_or_consumption_flag, by_national_grid_id.production_or_consumption_flag)
            as production_or_consumption_flag,
        season.zonal_tlf,
        season.etlmo_delivering,
        season.etlmo_offtaking,
        season.basis as season_basis,
        coalesce(published_by_elexon_id.published_tlm, published_by_national_grid_id.published_tlm) as published_tlm
    from unit_periods as unit_period
    left join season_parameters as season
        on unit_period.settlement_date = season.settlement_date
    left join unit_reference as by_elexon_id
        on unit_period.bm_unit = by_elexon_id.unit_id
    left join unit_reference as by_national_grid_id
        on unit_period.national_grid_bm_unit = by_national_grid_id.unit_id
    left join published_tlm as published_by_elexon_id
        on unit_period.settlement_date = published_by_elexon_id.settlement_date
        and unit_period.settlement_period = published_by_elexon_id.settlement_period
        and unit_period.bm_unit = published_by_elexon_id.unit_id
    left join published_tlm as published_by_national_grid_id
        on unit_period.settlement_date = published_by_national_grid_id.settlement_date
        and unit_period.settlement_period = published_by_national_grid_id.settlement_period
        and unit_period.national_grid_bm_unit = published_by_national_grid_id.unit_id

),

with_inputs as (

    select
        *,
        case when production_or_consumption_flag = 'C' then 'offtaking' else 'delivering' end as tlm_trading_unit,
        case
            when zonal_tlf is null then null
            when not zonal_tlf then 0
            else reference_tlf
        end as tlf,
        case when production_or_consumption_flag = 'C' then etlmo_offtaking else etlmo_delivering end as etlmo
    from matched

),

with_tlm as (

    select
        *,
        case
            when published_tlm is not null then published_tlm
            when tlf is null or etlmo is null then 1
            else 1 + tlf + etlmo
        end as tlm,
        case
            when published_tlm is not null then 'published'
            when tlf is null or etlmo is null then 'assumed 1'
            when season_basis = 'implied by EBOCF' then 'implied by EBOCF'
            else 'estimated from TLF + adjustment'
        end as tlm_source
    from with_inputs

)

select
    settlement_date,
    settlement_period,
    bm_unit,
    national_grid_bm_unit,
    total_offer_volume_mwh,
    total_bid_volume_mwh,
    priced_offer_volume_mwh,
    priced_bid_volume_mwh,
    offer_cashflow_gbp,
    bid_cashflow_gbp,
    net_cashflow_gbp,
    unpriced_volume_mwh,
    acceptance_count,
    cast(tlm as {{ gbp_type('number') }}) as tlm,
    tlm_source,
    cast(tlf as {{ gbp_type('number') }}) as tlf,
    cast(etlmo as {{ gbp_type('number') }}) as etlmo,
    tlm_trading_unit,
    offer_cashflow_gbp * tlm as offer_cashflow_after_tlm_gbp,
    bid_cashflow_gbp * tlm as bid_cashflow_after_tlm_gbp,
    net_cashflow_gbp * tlm as net_cashflow_after_tlm_gbp
from with_tlm
{{ pruning_order() }}
