{#- BM cashflows per unit and settlement period, rolled up from boalf_complete.

    RR-flagged acceptances are settled as replacement reserve, not in the BM: they are left out of
    every column here (they stay visible in boalf_complete). SO-flagged acceptances are real actions
    and are included. Cashflows sum only `priced` rows; volume that could not be priced (no BOD, a
    sentinel price, outside the submitted bands, no FPN) is counted in the volume totals and shown
    separately as unpriced_volume_mwh, so a gap in pricing is never silently dropped. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'bm_unit'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

with acceptances as (

    select * from {{ ref('boalf_complete') }}
    where not rr_flag
        and {{ acceptance_window('settlement_date') }}

)

select
    settlement_date,
    settlement_period,
    bm_unit,
    max(national_grid_bm_unit) as national_grid_bm_unit,
    sum(offer_volume_mwh) as total_offer_volume_mwh,
    sum(bid_volume_mwh) as total_bid_volume_mwh,
    sum(case when pricing_status = 'priced' then offer_volume_mwh else 0 end) as priced_offer_volume_mwh,
    sum(case when pricing_status = 'priced' then bid_volume_mwh else 0 end) as priced_bid_volume_mwh,
    sum(case when pricing_status = 'priced' then offer_volume_mwh * offer_price else 0 end) as offer_cashflow_gbp,
    sum(case when pricing_status = 'priced' then bid_volume_mwh * bid_price else 0 end) as bid_cashflow_gbp,
    sum(case when pricing_status = 'priced' then cashflow_gbp else 0 end) as net_cashflow_gbp,
    sum(case when pricing_status <> 'priced' then offer_volume_mwh - bid_volume_mwh else 0 end)
        as unpriced_volume_mwh,
    count(distinct acceptance_number) as acceptance_count
from acceptances
group by settlement_date, settlement_period, bm_unit
