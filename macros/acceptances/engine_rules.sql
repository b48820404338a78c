{#- The small rules of the acceptance engine (boalf_complete), each written once and used by the step
    macros in this folder (engine_*.sql). All times are minutes since the epoch (acc_epoch_minutes). -#}

{#- The unit a row belongs to: National Grid id, else Elexon id (BOD has ~0.8 % null bmUnit).
    `rel` qualifies the columns when given. -#}
{% macro acc_unit_key(rel=none) -%}
    {%- set q = (rel ~ '.') if rel else '' -%}
    coalesce({{ q }}national_grid_bm_unit, {{ q }}bm_unit)
{%- endmacro %}

{#- The level of a linear segment (level_from at tf, level_to at tt) at minute `at`; a segment of zero
    length holds level_to. Used for BOALF, PN and BOD segments alike. -#}
{% macro acc_linear_at(at, tf='tf_m', tt='tt_m', level_from='level_from', level_to='level_to') -%}
    case
        when {{ tt }} > {{ tf }}
            then {{ level_from }} + ({{ level_to }} - {{ level_from }}) * ({{ at }} - {{ tf }}) / ({{ tt }} - {{ tf }})
        else {{ level_to }}
    end
{%- endmacro %}

{#- Start (minutes) of the next segment of the same profile (partition), ordered by start then end:
    where segments share a whole minute, the later-starting one wins it (acc_last_own_minute). -#}
{% macro acc_next_segment_start(rel, partition) -%}
    lead({{ acc_epoch_minutes(rel ~ '.time_from') }}) over (
        partition by {{ partition }} order by {{ rel }}.time_from, {{ rel }}.time_to
    )
{%- endmacro %}

{#- The last whole minute a segment supplies: its end, or the minute before the next segment's first
    whole minute. The first is ceil(tf_m). -#}
{% macro acc_last_own_minute(tt='tt_m', next_tf='next_tf_m') -%}
    case when {{ next_tf }} is null then floor({{ tt }}) else least(floor({{ tt }}), ceil({{ next_tf }}) - 1) end
{%- endmacro %}

{#- A BOD pair's band width: offer pairs (pair_id > 0) are >= 0, bid pairs <= 0. -#}
{% macro acc_band_width(level, pair_id) -%}
    case when {{ pair_id }} > 0 then greatest({{ level }}, 0) else least({{ level }}, 0) end
{%- endmacro %}

{#- The FPN columns of a minute range with no PN (status no_fpn): all null. -#}
{% macro acc_no_fpn_columns() -%}
    {%- set number = gbp_type('number') -%}
    cast(null as {{ number }}) as tf_m, cast(null as {{ number }}) as tt_m,
        cast(null as {{ number }}) as level_from, cast(null as {{ number }}) as level_to
{%- endmacro %}

{#- A (acceptance, period, pair) row is kept when either volume rounds to at least 1 Wh. -#}
{% macro acc_has_pair_volume(offer='offer_volume_mwh', bid='bid_volume_mwh') -%}
    abs({{ offer }}) >= {{ acc_pair_min_mwh() }} or abs({{ bid }}) >= {{ acc_pair_min_mwh() }}
{%- endmacro %}

{#- Exact mode (var acceptances_exact_mode, default false): every piece goes through the plain
    per-minute path, with none of the speed-ups — no closed-form pieces (engine_minutes: every piece
    gets its minutes and the acceptance-order window), no flat-band fast path (engine_bands: every
    unit-period goes through BOD breakpoints), no held periods and no [min q, max q] pruning of bands
    (engine_volumes). Both modes must agree to 1e-6 MWh and £1e-4
    (tests/python/test_acceptance_modes.py). -#}
{% macro acc_exact_mode() -%}
    {{ return(var('acceptances_exact_mode', false) in [true, 'true', 'True', 1, '1']) }}
{%- endmacro %}

{#- Named constants. Each returns a literal, so the compiled SQL is the same as writing the number.
    The method's own units stay literal throughout the engine: 30 (minutes in a settlement period; a
    period's slot number is its start minute / 30), 31 (spot minutes in a period, both ends
    included), 60 (MW x minutes / 60 = MWh) and 60000000 (microseconds in a minute). -#}

{#- Smallest |volume| (MWh) of a pair row that is kept: half a Wh, so that it rounds to >= 1 Wh. -#}
{% macro acc_pair_min_mwh() -%}
    {{ return('5e-7') }}
{%- endmacro %}

{#- Smallest residual (MWh) outside every band that makes a pair_id 0 row: 1 Wh (the output rounding). -#}
{% macro acc_residual_min_mwh() -%}
    {{ return('1e-6') }}
{%- endmacro %}

{#- Integer sort keys of the acceptance-order window (engine_minutes): minute_key = unit_seq * U +
    (slot - first_slot) * 31 + minute within the period; order_key = minute_key * A + acceptance_seq.
    U = 2^23 leaves room for 2^23 / 31 = 270,000 settlement periods (15 years) per unit; A = 2^20 for
    1,048,576 acceptances per unit and minute key; with both, order_key < 2^63 while unit_seq < 2^20
    (a million units). -#}
{% macro acc_minute_key_unit_stride() -%}
    {{ return('8388608') }}
{%- endmacro %}

{% macro acc_order_key_stride() -%}
    {{ return('1048576') }}
{%- endmacro %}
