{#- Union the API and IRIS staging models of one dataset and keep exactly one row per natural key:
    the newest version (version columns descending, nulls last), the API row on a tie, then the
    latest ingestion. Adds `unified_key` (hash of the natural key).

    api, iris: the two staging relations, passed as literal refs by the generated model so that dbt's
               lineage and grep both see them, e.g. api=ref('stg_bmrs__boalf'), iris=ref('stg_bmrs__boalf_iris');
               iris=none for a dataset IRIS does not carry (the view then only picks the newest version)
    key:       natural-key columns (snake_case)
    versions:  version columns, newest first when sorted descending
    renames:   {staging_column: unified_column} beyond snake_case (e.g. BOD offer -> offer_price)
    incremental_column: for incremental models, the date/timestamp column the lookback filters on -#}
{% macro unify_sources(api, iris, key, versions=[], renames={}, incremental_column=none) -%}
{%- set order_by = [] -%}
{%- for v in versions -%}{%- do order_by.append(v ~ ' desc nulls last') -%}{%- endfor -%}
{%- do order_by.append("case when source = 'api' then 0 else 1 end") -%}
{%- do order_by.append('ingested_at desc nulls last') -%}
{%- do order_by.append('message_id desc nulls last') -%}
with unioned as (

    select * from {{ api }}
    {%- if incremental_column and is_incremental() %}
    where {{ incremental_column }} >= {{ incremental_floor(incremental_column) }}
    {%- endif %}

    {%- if iris is not none %}

    union all

    select * from {{ iris }}
    {%- if incremental_column and is_incremental() %}
    where {{ incremental_column }} >= {{ incremental_floor(incremental_column) }}
    {%- endif %}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by {{ key | join(', ') }}
            order by
                {{ order_by | join(',\n                ') }}
        ) as _version_rank
    from unioned

)

select
    {{ gbp_hash(key) }} as unified_key,
    {{ star_except(['_version_rank'] + (renames.keys() | list)) }}
    {%- for old, new in renames.items() %},
    {{ old }} as {{ new }}
    {%- endfor %}
from ranked
where _version_rank = 1
{%- if incremental_column %}{{ pruning_order(incremental_column) }}{% endif %}
{%- endmacro %}
