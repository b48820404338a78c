{#- Frequency excursions: runs of consecutive FREQ samples with |f − 50| > var('frequency_event_threshold_hz')
    (default 0.2 Hz), one row per event, with its duration. An event starts at its first sample
    outside the band and ends at the first sample back inside it (or, if the data stop first, one
    sampling interval after its last sample); samples more than 60 s apart split events.

    Incremental, as a window replace (incremental_config's replace_where): events run across day
    boundaries, and a late sample (a filled gap) can merge two stored events into one, so replacing
    by key would leave the second one behind. A run deletes every stored event that may touch the
    re-processed window — it ends at most 60 s (the split gap) before the window's first instant W,
    and starts from a day before W on — and recomputes those events from the samples of three days
    before W on (so an event touching the window starts inside what is read, unless it lasted over a
    day). Events that end earlier cannot change: no sample before W is re-processed. It selects a day
    more than it deletes (identical rows, matched by key): on BigQuery the DELETE is a job of its
    own, and if midnight passes between it and the MERGE, the MERGE's later "today" still covers
    every deleted event. -#}
{%- set threshold = var('frequency_event_threshold_hz', 0.2) -%}
{%- set touching = [] -%}
{%- for days_earlier in [0, 1] -%}
    {%- do touching.append(
        'start_time_utc >= cast(' ~ add_days(incremental_floor(), -1 - days_earlier) ~ ' as timestamp) and end_time_utc >= '
        ~ add_seconds('cast(' ~ add_days(incremental_floor(), -days_earlier) ~ ' as timestamp)', -60)) -%}
{%- endfor -%}
{#- touching[0]: the events a run deletes; touching[1]: what it selects (a day more) -#}
{{ config(**incremental_config('start_time_utc', 'timestamp', unique_key='event_id', replace_where=touching[0],
                               merge_days_before=2)) }}

with samples as (

    select
        measurement_time,
        frequency,
        abs(frequency - 50) > {{ threshold }} as is_excursion,
        case when frequency < 50 then 'low' else 'high' end as direction,
        lead(measurement_time) over (order by measurement_time) as next_time,
        lag(measurement_time) over (order by measurement_time) as prev_time,
        lag(abs(frequency - 50) > {{ threshold }}) over (order by measurement_time) as prev_excursion,
        lag(case when frequency < 50 then 'low' else 'high' end) over (order by measurement_time) as prev_direction
    from {{ ref('bmrs_freq_unified') }}
    where {{ incremental_window('measurement_time', days_before=3, data_type='timestamp') }}

),

flagged as (

    select
        *,
        case
            when not is_excursion then 0
            when prev_excursion is null or not prev_excursion then 1
            when prev_direction <> direction then 1
            when {{ seconds_between('prev_time', 'measurement_time') }} > 60 then 1
            else 0
        end as starts_event
    from samples

),

numbered as (

    select
        *,
        sum(starts_event) over (order by measurement_time rows between unbounded preceding and current row)
            as event_number
    from flagged
    where is_excursion

),

events as (

    select
        event_number,
        min(direction) as direction,
        min(measurement_time) as start_time_utc,
        max(measurement_time) as last_sample_time_utc,
        max(next_time) as next_sample_time_utc,
        min(frequency) as min_frequency_hz,
        max(frequency) as max_frequency_hz,
        count(*) as samples
    from numbered
    group by event_number

),

bounded as (

    select
        *,
        case
            when next_sample_time_utc is not null
                and {{ seconds_between('last_sample_time_utc', 'next_sample_time_utc') }} <= 60
                then next_sample_time_utc
            else {{ add_seconds('last_sample_time_utc', 15) }}
        end as end_time_utc
    from events

)

select
    {{ gbp_hash(['start_time_utc']) }} as event_id,
    start_time_utc,
    end_time_utc,
    {{ seconds_between('start_time_utc', 'end_time_utc') }} as duration_s,
    direction,
    min_frequency_hz,
    max_frequency_hz,
    case when direction = 'low' then 50 - min_frequency_hz else max_frequency_hz - 50 end as max_deviation_hz,
    samples
from bounded
{%- if is_incremental() %}
where {{ touching[1] }}
{%- endif %}
{{ pruning_order('start_time_utc') }}
