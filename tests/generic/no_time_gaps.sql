{#- No gaps in a time series: consecutive distinct timestamps of `column_name` are at most
    `interval_seconds` apart (FREQ: 15 s; FUELINST: 300 s). Fails with one row per gap (its start,
    end and length). Only gaps between the first and last timestamp are checked, so the still-open
    edge of live data is never flagged; `where_clause` restricts the rows checked. -#}
{% test no_time_gaps(model, column_name, interval_seconds, where_clause=none) %}

with times as (

    select distinct {{ column_name }} as ts
    from {{ model }}
    where {{ column_name }} is not null
    {%- if where_clause %} and ({{ where_clause }}){% endif %}

),

steps as (

    select
        lag(ts) over (order by ts) as gap_start,
        ts as gap_end
    from times

)

select
    gap_start,
    gap_end,
    {{ seconds_between('gap_start', 'gap_end') }} as gap_seconds
from steps
where gap_start is not null
    and {{ seconds_between('gap_start', 'gap_end') }} > {{ interval_seconds }}

{% endtest %}
