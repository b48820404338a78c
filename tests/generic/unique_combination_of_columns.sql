{#- Primary-key test: no two rows share the combination of columns (nulls compare equal).

    Optionally, in the same scan of the model (one read of the window instead of one per test; issue
    #13), the checks dbt's not_null and accepted_values tests would make on their own:
      not_null_columns: columns that must never be null (e.g. the key's settlement_date);
      accepted_values:  {column: [values]} for string columns: a non-null value outside the list
                        fails, as in dbt's accepted_values (the values are quoted).
    A failing row is one key with: n_rows (> 1: a duplicate key), and per extra check the number of
    its rows that break it (null_<column>, unaccepted_<column>) and one such value
    (unaccepted_<column>_value). -#}
{% test unique_combination_of_columns(model, combination_of_columns, not_null_columns=[], accepted_values={}) %}

{%- set checks = [] -%}
{%- for column in not_null_columns -%}
    {%- do checks.append('null_' ~ column) -%}
{%- endfor -%}
{%- for column in accepted_values -%}
    {%- do checks.append('unaccepted_' ~ column) -%}
{%- endfor -%}

{%- if not checks %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{%- else %}

with keyed as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
        {%- for column in not_null_columns %},
        sum(case when {{ column }} is null then 1 else 0 end) as null_{{ column }}
        {%- endfor %}
        {%- for column, values in accepted_values.items() %}
        {%- set outside = column ~ " not in ('" ~ (values | join("', '")) ~ "')" %},
        sum(case when {{ outside }} then 1 else 0 end) as unaccepted_{{ column }},
        max(case when {{ outside }} then {{ column }} end) as unaccepted_{{ column }}_value
        {%- endfor %}
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select *
from keyed
where n_rows > 1
    {%- for check in checks %}
    or {{ check }} > 0
    {%- endfor %}

{%- endif %}

{% endtest %}
