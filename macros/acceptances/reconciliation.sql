{#- True when a difference is within an absolute tolerance or a relative share of the reference. -#}
{% macro within_tolerance(diff_expr, reference_expr, abs_tolerance, rel_tolerance) -%}
    (abs({{ diff_expr }}) <= {{ abs_tolerance }}
        or abs({{ diff_expr }}) <= {{ rel_tolerance }} * abs(coalesce({{ reference_expr }}, 0)))
{%- endmacro %}

{#- Generic test: fails (or warns, with severity: warn) when the share of rows where `column_name` is
    true, among rows matching `where_expr`, is below `min_share`. Returns one row describing the
    shortfall; no rows (a pass) when there is nothing to compare. -#}
{% test min_share_true(model, column_name, min_share, where_expr='true') %}

with scored as (

    select
        count(*) as compared_rows,
        sum(case when {{ column_name }} then 1 else 0 end) as agreeing_rows
    from {{ model }}
    where {{ where_expr }}

)

select
    compared_rows,
    agreeing_rows,
    1.0 * agreeing_rows / compared_rows as agreeing_share,
    {{ min_share }} as min_share
from scored
where compared_rows > 0
    and 1.0 * agreeing_rows / compared_rows < {{ min_share }}

{% endtest %}

{#- The pieces the reconciliation reports (models/marts/acceptances/rpt_*) share: Elexon's per-pair
    figures summed (elexon_pair_totals), our acceptances on the dates Elexon's side has
    (reconciliation_acceptances), split by side (sided_acceptances), and the condition of the FULL
    OUTER JOIN of the two sides on the report's keys (join_keys_match). -#}

{#- Two CTEs, `elexon_dates` and `name` (with no comma after the second): the settlement dates in the
    CTE `elexon_relation` (Elexon's side of the report), and our boalf_complete rows on those dates
    within the incremental window, RR-flagged acceptances left out (as in Elexon's BM volumes) and
    `condition` (a condition on `acceptance`, e.g. "acceptance.pricing_status = 'priced'") applied
    too; only the columns the reports read. -#}
{% macro reconciliation_acceptances(elexon_relation, name='acceptance_rows', condition=none) -%}
elexon_dates as (

    select distinct settlement_date from {{ elexon_relation }}

),

{{ name }} as (

    select
        acceptance.settlement_date,
        acceptance.settlement_period,
        acceptance.bm_unit,
        acceptance.national_grid_bm_unit,
        acceptance.acceptance_number,
        acceptance.pair_id,
        acceptance.offer_volume_mwh,
        acceptance.bid_volume_mwh,
        acceptance.offer_price,
        acceptance.bid_price,
        acceptance.pricing_status
    from {{ ref('boalf_complete') }} as acceptance
    inner join elexon_dates as elexon_date
        on acceptance.settlement_date = elexon_date.settlement_date
    where not acceptance.rr_flag
        {%- if condition %}
        and {{ condition }}
        {%- endif %}
        and {{ incremental_window('acceptance.settlement_date') }}

)
{%- endmacro %}

{#- Rows of `relation` (reconciliation_acceptances) split by side, one row per row and side with
    volume: settlement_date, settlement_period, unit_key (the National Grid id, else the Elexon id),
    bm_unit, pair_id, the `columns` given, side ('offer': offer_volume_mwh, the volume moving up;
    'bid': bid_volume_mwh, moving down, <= 0), volume_mwh and, with `price`, the side's price. -#}
{% macro sided_acceptances(relation, columns=[], price=false) -%}
    {%- for side in ['offer', 'bid'] %}
    select
        settlement_date,
        settlement_period,
        coalesce(national_grid_bm_unit, bm_unit) as unit_key,
        bm_unit,
        pair_id,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        '{{ side }}' as side,
        {{ side }}_volume_mwh as volume_mwh
        {%- if price %},
        {{ side }}_price as price
        {%- endif %}
    from {{ relation }}
    where {{ side }}_volume_mwh <> 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Elexon's per-pair figures (BOAV/DISPTAV pairVolumes, EBOCF bidOfferPairCashflows: the JSON column
    `json_column` of `relation`) summed per settlement date, period, unit_key, side and pair (and
    acceptance, with `acceptance`: acceptance_id as acceptance_number), as `value_name`, with the
    unit's Elexon id (bm_unit). `relation` has settlement_date, settlement_period, unit_key, bm_unit,
    bid_offer (and acceptance_id). -#}
{% macro elexon_pair_totals(relation, json_column, value_name, acceptance=false) -%}
    {%- set keep = ['settlement_date', 'settlement_period', 'unit_key', 'bm_unit']
        + (['acceptance_id'] if acceptance else []) + ['bid_offer'] -%}
    select
        pairs.settlement_date,
        pairs.settlement_period,
        pairs.unit_key,
        max(pairs.bm_unit) as bm_unit,
        {%- if acceptance %}
        pairs.acceptance_id as acceptance_number,
        {%- endif %}
        pairs.bid_offer as side,
        pairs.pair_id,
        sum(pairs.{{ value_name }}) as {{ value_name }}
    from (
        {{ unpivot_derived_pairs(relation, json_column, keep, value_name) }}
    ) as pairs
    group by
        pairs.settlement_date,
        pairs.settlement_period,
        pairs.unit_key,
        {%- if acceptance %}
        pairs.acceptance_id,
        {%- endif %}
        pairs.bid_offer,
        pairs.pair_id
{%- endmacro %}

{#- The condition of a FULL OUTER JOIN of our side (`left`) and Elexon's (`right`) on the key columns
    `keys`: each report then takes each key from whichever side has the row (coalesce). Both sides are
    grouped by the keys, so a key matches at most one row on each side: one output row per key on
    either side. A null key matches nothing: every key is non-null on our side (boalf_complete's
    not_null tests) and on Elexon's (the loader's required fields; the side, which the loader sets;
    the pair, from the JSON key), except Elexon's unit_key of a row naming no BM unit, which then
    stands alone with Elexon's figure. -#}
{% macro join_keys_match(keys, left, right) -%}
    {%- for key in keys %}{{ 'and ' if not loop.first }}{{ left }}.{{ key }} = {{ right }}.{{ key }}{{ '\n    ' if not loop.last }}{% endfor -%}
{%- endmacro %}
