{#- Our price and volume per acceptance and bid-offer pair against Elexon's settlement stack (ISPSTACK
    originalPrice and volume), on the settlement dates where ISPSTACK is loaded. One row per
    settlement date, period, BM unit, acceptance, side and pair present on either side.

    Ours: boalf_complete, RR-flagged acceptances left out; the side's price (offer_price for volume
    moving up, bid_price for volume moving down) of rows with volume on that side. Elexon: stack items
    that name an acceptance and a pair (balancing services actions have neither and are not compared);
    the item's `id` is a BM unit id, matched to our unit by either of its ids. Items of the same
    acceptance, pair and side are summed (volume) and their price range kept (min/max).

    Agreement: the price of every Elexon item within var reconciliation_stack_price_gbp (default £0.01:
    prices are on the penny grid) of ours, and |our volume| within var reconciliation_acceptance_mwh
    (default 0.001 MWh) of |Elexon's| (absolute values: the side is fixed by the route, so only the
    size is compared, whatever sign convention the stack uses for bids). A row on one side only
    disagrees: an acceptance-pair we price that Elexon's stack lacks, or the reverse. Rows with a
    sentinel or missing price on our side (pricing_status other than priced) compare volumes only
    (`our_price` null, price_within_tolerance null). -#}
{{ config(**incremental_config(unique_key=['settlement_date', 'settlement_period', 'unit_key', 'acceptance_number', 'side', 'pair_id'], cluster_by=['unit_key'], bigquery_strategy=var('acceptances_bq_strategy', 'merge'))) }}
{%- set price_tolerance = var('reconciliation_stack_price_gbp', 0.01) -%}
{%- set volume_tolerance = var('reconciliation_acceptance_mwh', 0.001) -%}
{%- set keys = ['settlement_date', 'settlement_period', 'unit_key', 'acceptance_number', 'side', 'pair_id'] -%}

with stack_rows as (

    select
        settlement_date,
        settlement_period,
        id as stack_unit,
        acceptance_id as acceptance_number,
        bid_offer as side,
        bid_offer_pair_id as pair_id,
        original_price,
        volume,
        transmission_loss_multiplier
    from {{ ref('bmrs_ispstack_unified') }}
    where acceptance_id is not null
        and bid_offer_pair_id is not null
        and {{ incremental_window('settlement_date') }}

),

{{ reconciliation_acceptances('stack_rows') }},

-- a stack item names a unit by one id; map either of our ids to our unit key (equality joins only)
unit_ids as (

    select distinct bm_unit as unit_id, coalesce(national_grid_bm_unit, bm_unit) as unit_key
    from acceptance_rows
    union distinct
    select distinct national_grid_bm_unit as unit_id, coalesce(national_grid_bm_unit, bm_unit) as unit_key
    from acceptance_rows
    where national_grid_bm_unit is not null

),

elexon as (

    select
        stack.settlement_date,
        stack.settlement_period,
        coalesce(unit_id.unit_key, stack.stack_unit) as unit_key,
        max(stack.stack_unit) as bm_unit,
        stack.acceptance_number,
        stack.side,
        stack.pair_id,
        sum(stack.volume) as volume_mwh,
        min(stack.original_price) as price_min,
        max(stack.original_price) as price_max,
        max(stack.transmission_loss_multiplier) as transmission_loss_multiplier,
        count(*) as stack_items
    from stack_rows as stack
    left join unit_ids as unit_id
        on stack.stack_unit = unit_id.unit_id
    group by
        stack.settlement_date,
        stack.settlement_period,
        coalesce(unit_id.unit_key, stack.stack_unit),
        stack.acceptance_number,
        stack.side,
        stack.pair_id

),

ours as (

    select
        settlement_date,
        settlement_period,
        unit_key,
        max(bm_unit) as bm_unit,
        acceptance_number,
        side,
        pair_id,
        sum(volume_mwh) as volume_mwh,
        max(case when pricing_status = 'priced' then price end) as price,
        max(pricing_status) as pricing_status
    from ({{ sided_acceptances('acceptance_rows', ['acceptance_number', 'pricing_status'], price=true) }}
    ) as sided
    group by settlement_date, settlement_period, unit_key, acceptance_number, side, pair_id

),

compared as (

    select
        coalesce(our.settlement_date, elexon.settlement_date) as settlement_date,
        coalesce(our.settlement_period, elexon.settlement_period) as settlement_period,
        coalesce(our.bm_unit, elexon.bm_unit, our.unit_key, elexon.unit_key) as bm_unit,
        coalesce(our.unit_key, elexon.unit_key) as unit_key,
        coalesce(our.acceptance_number, elexon.acceptance_number) as acceptance_number,
        coalesce(our.side, elexon.side) as side,
        coalesce(our.pair_id, elexon.pair_id) as pair_id,
        our.price as our_price,
        elexon.price_min as elexon_price_min,
        elexon.price_max as elexon_price_max,
        coalesce(our.volume_mwh, 0) as our_volume_mwh,
        elexon.volume_mwh as elexon_volume_mwh,
        elexon.transmission_loss_multiplier,
        coalesce(elexon.stack_items, 0) as stack_items,
        our.pricing_status,
        our.unit_key is not null as in_ours,
        elexon.unit_key is not null as in_stack
    from ours as our
    full outer join elexon
        on {{ join_keys_match(keys, 'our', 'elexon') }}

),

judged as (

    select
        *,
        case
            when our_price is null or not in_stack then null
            else abs(elexon_price_min - our_price) <= {{ price_tolerance }}
                and abs(elexon_price_max - our_price) <= {{ price_tolerance }}
        end as price_within_tolerance,
        abs(abs(our_volume_mwh) - abs(coalesce(elexon_volume_mwh, 0))) <= {{ volume_tolerance }}
            as volume_within_tolerance
    from compared

)

select
    settlement_date,
    settlement_period,
    bm_unit,
    unit_key,
    acceptance_number,
    side,
    pair_id,
    our_price,
    elexon_price_min,
    elexon_price_max,
    case
        when our_price is null or not in_stack then null
        when abs(elexon_price_min - our_price) > abs(elexon_price_max - our_price) then elexon_price_min - our_price
        else elexon_price_max - our_price
    end as price_diff_gbp,
    our_volume_mwh,
    elexon_volume_mwh,
    abs(our_volume_mwh) - abs(coalesce(elexon_volume_mwh, 0)) as volume_diff_mwh,
    transmission_loss_multiplier,
    stack_items,
    pricing_status,
    in_ours,
    in_stack,
    price_within_tolerance,
    volume_within_tolerance,
    in_ours and in_stack and coalesce(price_within_tolerance, true) and volume_within_tolerance as within_tolerance
from judged
{{ pruning_order() }}
