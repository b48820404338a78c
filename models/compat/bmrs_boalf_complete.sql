{#- Deprecated compatibility view (docs/migration.md): the old scripts' `bmrs_boalf_complete` names
    over boalf_complete, which prices acceptances by the BSC Section T method. One row per row of
    boalf_complete (settlement date, period, BM unit, acceptance, BOD pair); nothing is filtered.

    Old names are quoted (adapter.quote) so the warehouse keeps their camelCase on DuckDB and
    BigQuery. What each column maps from, and where the old meaning is not known, is in
    models/compat/_compat__models.yml and docs/migration.md. -#}

with acceptances as (

    select * from {{ ref('boalf_complete') }}

)

select
    settlement_date as {{ adapter.quote('settlementDate') }},
    settlement_period as {{ adapter.quote('settlementPeriod') }},
    bm_unit as {{ adapter.quote('bmUnit') }},
    national_grid_bm_unit as {{ adapter.quote('nationalGridBmUnit') }},
    acceptance_number as {{ adapter.quote('acceptanceNumber') }},
    acceptance_time as {{ adapter.quote('acceptanceTime') }},
    pair_id as {{ adapter.quote('pairId') }},
    -- the price paid for this row's volume: the pair's offer price for a move up, its bid price for
    -- a move down, their volume-weighted mean when the row has both; null without a usable price
    case
        when cashflow_gbp is null then null
        when offer_volume_mwh = 0 and bid_volume_mwh = 0 then null
        when bid_volume_mwh = 0 then offer_price
        when offer_volume_mwh = 0 then bid_price
        else (offer_volume_mwh * offer_price - bid_volume_mwh * bid_price) / (offer_volume_mwh - bid_volume_mwh)
    end as {{ adapter.quote('acceptancePrice') }},
    case
        when offer_volume_mwh > 0 and bid_volume_mwh < 0 then 'OFFER_AND_BID'
        when offer_volume_mwh > 0 then 'OFFER'
        when bid_volume_mwh < 0 then 'BID'
    end as {{ adapter.quote('acceptanceType') }},
    so_flag as {{ adapter.quote('soFlag') }},
    stor_flag as {{ adapter.quote('storFlag') }},
    rr_flag as {{ adapter.quote('rrFlag') }},
    deemed_bo_flag as {{ adapter.quote('deemedBoFlag') }},
    pricing_status as validation_flag,
    -- not in the old table: the BSC-method figures under their new names, to ease the switch
    offer_volume_mwh,
    bid_volume_mwh,
    cashflow_gbp
from acceptances
