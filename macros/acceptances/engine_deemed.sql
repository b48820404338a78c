{#- Step 6 of the acceptance engine (boalf_complete; docs/acceptances.md, "Deemed bid-offer data"):
    the price of volume beyond the submitted pairs of acceptances with deemedBoFlag.

    BSC T3.4B deems bid-offer pairs where the submitted ones do not cover an acceptance; the deemed
    pairs are then priced like submitted ones (T3.6-T3.10), but their prices are not in BOD. Elexon's
    settlement stack (ISPSTACK) lists every accepted item with its acceptance, pair and
    originalPrice, so the deemed pairs' prices are read from it.

    Arguments: stack (a relation or CTE with the columns of bmrs_ispstack_unified).
    Needs: calendar, acceptances (acceptance_profiles), bod_pairs (acceptance_pair_bands).
    CTE defined: deemed_prices, one row per (unit_key, acceptance_number, slot) of a deemed acceptance
    that the stack lists, with offer_price / bid_price: the originalPrice of the acceptance's stack
    items on that side whose pair is not a pair the unit submitted for the period (a deemed pair);
    several such items are averaged weighted by |volume| (so volume x price is the stack's cashflow
    when our volume equals the stack's). Only deemed acceptances reach the stack: the engine joins
    this small CTE, never the stack itself, to its rows (performance: docs/acceptances.md). -#}
{% macro acceptance_deemed_prices(stack) -%}
deemed_acceptances as (

    select
        unit_key,
        acceptance_number,
        bm_unit,
        national_grid_bm_unit
    from acceptances
    where deemed_bo_flag

),

-- the stack names a unit by one id (Elexon's, usually): match either of ours
deemed_stack_items as (

    select
        deemed.unit_key,
        deemed.acceptance_number,
        calendar.slot,
        item.bid_offer as side,
        item.bid_offer_pair_id as pair_id,
        item.original_price,
        abs(coalesce(item.volume, 0)) as size_mwh
    from {{ stack }} as item
    inner join deemed_acceptances as deemed
        on item.acceptance_id = deemed.acceptance_number
        and (item.id = deemed.bm_unit or item.id = deemed.national_grid_bm_unit)
    inner join calendar
        on item.settlement_date = calendar.settlement_date
        and item.settlement_period = calendar.settlement_period
    where {{ incremental_window('item.settlement_date') }}
        and item.original_price is not null
        and item.bid_offer_pair_id is not null

),

deemed_pair_items as (

    select item.*
    from deemed_stack_items as item
    left join bod_pairs as submitted
        on item.unit_key = submitted.unit_key
        and item.slot = submitted.slot
        and item.pair_id = submitted.pair_id
    where submitted.unit_key is null

),

deemed_prices as (

    select
        unit_key,
        acceptance_number,
        slot,
        case
            when min(case when side = 'offer' then original_price end)
                = max(case when side = 'offer' then original_price end)
                then min(case when side = 'offer' then original_price end)
            else sum(case when side = 'offer' then size_mwh * original_price end)
                / nullif(sum(case when side = 'offer' then size_mwh end), 0)
        end as offer_price,
        case
            when min(case when side = 'bid' then original_price end)
                = max(case when side = 'bid' then original_price end)
                then min(case when side = 'bid' then original_price end)
            else sum(case when side = 'bid' then size_mwh * original_price end)
                / nullif(sum(case when side = 'bid' then size_mwh end), 0)
        end as bid_price
    from deemed_pair_items
    group by unit_key, acceptance_number, slot

)
{%- endmacro %}
