{#- The rows of a CTE keyed by either of a BM unit's ids: once under the Elexon id (`unit_id` =
    bm_unit) and once more under the National Grid id where it differs, so a list that names a unit
    by either id (seeds/vlp_units.csv, the BM unit reference) joins with an equality join (BigQuery
    needs one). Used by the revenue marts that read mart_bm_revenue_daily per listed unit. -#}
{% macro keyed_by_either_unit_id(cte, elexon_id='bm_unit', national_grid_id='national_grid_bm_unit') -%}
    select {{ elexon_id }} as unit_id, * from {{ cte }}
    union all
    select {{ national_grid_id }} as unit_id, * from {{ cte }}
    where {{ national_grid_id }} is not null
        and {{ national_grid_id }} <> {{ elexon_id }}
{%- endmacro %}
