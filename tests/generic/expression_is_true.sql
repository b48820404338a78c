{#- Rows of the model for which `expression` (SQL over its columns) is not true; the test fails on
    any. Used where a column is defined by others (e.g. a difference of two columns). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
