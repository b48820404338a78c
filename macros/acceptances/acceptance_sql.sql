{#- Cross-database helpers for the acceptance engine (boalf_complete). Spot times are handled as
    integer minutes since the Unix epoch, so per-minute work is integer arithmetic and equi-joins. -#}

{#- Minutes since the epoch of a UTC timestamp, as a float (whole minutes come out exact). -#}
{% macro acc_epoch_minutes(ts_expr) -%}
    {{ return(adapter.dispatch('acc_epoch_minutes', 'gbpower')(ts_expr)) }}
{%- endmacro %}

{% macro duckdb__acc_epoch_minutes(ts_expr) -%}
    (epoch_us({{ ts_expr }}) / 60000000.0)
{%- endmacro %}

{% macro bigquery__acc_epoch_minutes(ts_expr) -%}
    (unix_micros({{ ts_expr }}) / 60000000.0)
{%- endmacro %}

{#- True when any value in the group is true (nulls count as false). -#}
{% macro acc_bool_or(expr) -%}
    (max(case when {{ expr }} then 1 else 0 end) = 1)
{%- endmacro %}

{#- The value of `value_expr` on the row with the largest `order_expr` in the group. -#}
{% macro acc_arg_max(value_expr, order_expr) -%}
    {{ return(adapter.dispatch('acc_arg_max', 'gbpower')(value_expr, order_expr)) }}
{%- endmacro %}

{% macro duckdb__acc_arg_max(value_expr, order_expr) -%}
    arg_max({{ value_expr }}, {{ order_expr }})
{%- endmacro %}

{% macro bigquery__acc_arg_max(value_expr, order_expr) -%}
    max_by({{ value_expr }}, {{ order_expr }})
{%- endmacro %}

{#- `select <columns>, <name> from <relation>` with one row per integer <name> in lo..hi (none when
    hi < lo). DuckDB unnests in the select list (no lateral join to decorrelate); BigQuery cross-joins
    the array. -#}
{% macro acc_select_range(relation, columns, lo_expr, hi_expr, name) -%}
    {{ return(adapter.dispatch('acc_select_range', 'gbpower')(relation, columns, lo_expr, hi_expr, name)) }}
{%- endmacro %}

{% macro duckdb__acc_select_range(relation, columns, lo_expr, hi_expr, name) -%}
    select
        {{ columns | join(',\n        ') }},
        unnest(generate_series(
            cast({{ lo_expr }} as bigint),
            cast({{ hi_expr }} as bigint)
        )) as {{ name }}
    from {{ relation }}
{%- endmacro %}

{% macro bigquery__acc_select_range(relation, columns, lo_expr, hi_expr, name) -%}
    select
        {{ columns | join(',\n        ') }},
        {{ name }}
    from {{ relation }}
    cross join unnest(generate_array(
        cast({{ lo_expr }} as int64),
        cast({{ hi_expr }} as int64)
    )) as {{ name }}
{%- endmacro %}

{#- PARTITION BY for the per-unit acceptance-order window. The sort key already leads with the unit
    number, so DuckDB sorts once without partitioning (faster on 2 cores); BigQuery partitions by
    unit so the window is spread over workers. -#}
{% macro acc_unit_partition(column) -%}
    {{ return(adapter.dispatch('acc_unit_partition', 'gbpower')(column)) }}
{%- endmacro %}

{% macro duckdb__acc_unit_partition(column) -%}
{%- endmacro %}

{% macro bigquery__acc_unit_partition(column) -%}
    partition by {{ column }}
{%- endmacro %}

{#- Sum over a piece's whole minutes m_a..m_b of w(m) * max(d(m) - c, 0), where d is linear (d_a at
    m_a, slope per minute `slope`) and w = 1/2 at a period's first/last minute (h_a, h_b = 1) else 1:
    the trapezoid integral of max(d - c, 0) in MW.min, in closed form. The minutes where d > c are a
    contiguous run at one end of the piece, so the sum is an arithmetic series. Columns expected
    (qualified by `rel` when given): m_a, m_b, d_a, d_b, slope, n_spots, h_a, h_b. -#}
{% macro acc_relu_sum_w(c, rel=none) -%}
    {%- set q = (rel ~ '.') if rel else '' -%}
    {%- set m_a, m_b, d_a, d_b = q ~ 'm_a', q ~ 'm_b', q ~ 'd_a', q ~ 'd_b' -%}
    {%- set slope, n_spots, h_a, h_b = q ~ 'slope', q ~ 'n_spots', q ~ 'h_a', q ~ 'h_b' -%}
    {%- set first_above = 'greatest(' ~ m_a ~ ', floor(' ~ m_a ~ ' + ((' ~ c ~ ') - ' ~ d_a ~ ') / ' ~ slope ~ ') + 1)' -%}
    {%- set last_above = 'least(' ~ m_b ~ ', ceil(' ~ m_a ~ ' + ((' ~ c ~ ') - ' ~ d_a ~ ') / ' ~ slope ~ ') - 1)' -%}
    (
        case
            when {{ slope }} = 0 then {{ n_spots }} * greatest({{ d_a }} - ({{ c }}), 0)
            when {{ slope }} > 0 then
                case
                    when
                        {{ first_above }} > {{ m_b }}
                        then 0
                    else (
                        {{ m_b }} + 1
                        - {{ first_above }}
                    ) * (
                        {{ d_a }} - ({{ c }}) - {{ slope }} * {{ m_a }}
                        + {{ slope }} * {{ first_above }}
                        + {{ d_b }} - ({{ c }})
                    ) / 2
                end
            else
                case
                    when
                        {{ last_above }} < {{ m_a }}
                        then 0
                    else (
                        {{ last_above }}
                        - {{ m_a }} + 1
                    ) * (
                        2 * ({{ d_a }} - ({{ c }})) - {{ slope }} * {{ m_a }}
                        + {{ slope }} * {{ last_above }}
                    ) / 2
                end
        end
        - 0.5 * {{ h_a }} * greatest({{ d_a }} - ({{ c }}), 0)
        - 0.5 * {{ h_b }} * greatest({{ d_b }} - ({{ c }}), 0)
    )
{%- endmacro %}
