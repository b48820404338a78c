{#- BM revenue per unit per settlement day, from fct_bm_unit_cashflows (RR acceptances excluded,
    SO-flagged included). Cashflows are as settled: after the Transmission Loss Multiplier
    (volume x price x TLM, docs/acceptances.md "Transmission losses"); net_cashflow_before_tlm_gbp
    keeps volume x price. Average prices are the before-TLM cashflow / priced volume of that side,
    i.e. the volume-weighted bid-offer price. -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'bm_unit'], cluster_by=['bm_unit'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}

with periods as (

    select * from {{ ref('fct_bm_unit_cashflows') }}
    where {{ incremental_window('settlement_date') }}

)

select
    settlement_date,
    bm_unit,
    max(national_grid_bm_unit) as national_grid_bm_unit,
    sum(total_offer_volume_mwh) as offer_volume_mwh,
    sum(total_bid_volume_mwh) as bid_volume_mwh,
    sum(offer_cashflow_after_tlm_gbp) as offer_cashflow_gbp,
    sum(bid_cashflow_after_tlm_gbp) as bid_cashflow_gbp,
    sum(net_cashflow_after_tlm_gbp) as net_cashflow_gbp,
    sum(net_cashflow_gbp) as net_cashflow_before_tlm_gbp,
    sum(unpriced_volume_mwh) as unpriced_volume_mwh,
    sum(case when total_offer_volume_mwh <> 0 or total_bid_volume_mwh <> 0 then 1 else 0 end)
        as periods_active,
    sum(offer_cashflow_gbp) / nullif(sum(priced_offer_volume_mwh), 0) as avg_offer_price_gbp_per_mwh,
    sum(bid_cashflow_gbp) / nullif(sum(priced_bid_volume_mwh), 0) as avg_bid_price_gbp_per_mwh
from periods
group by settlement_date, bm_unit
{{ pruning_order() }}
