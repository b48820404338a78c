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
