{#- Settlement-period completeness: fails with one row per period the model lacks or has in excess
    against the settlement calendar, except the documented source gaps of `dataset_code` (seed
    known_source_gaps). The rules (what counts as missing, publication delay, partial run edges)
    are in macros/settlement_period_gaps.sql; rpt_settlement_period_gaps lists the same rows with
    their kind for the docs site and queries.
    Severity is `warn` by default: under `dbt build` an error would stop every downstream mart for
    good over one permanent historical gap. `gbpower health` reports ingestion gaps as errors
    instead (see docs/operations.md, "Gaps"). -#}
{% test settlement_period_completeness(model, date_column='settlement_date', period_column='settlement_period',
                                       publication_delay_minutes=60, check_missing_days=false,
                                       partial_run_edges=false, where_clause=none, dataset_code=none) %}
{{ config(severity='warn') }}

select * from (
    {{ settlement_period_gaps(model, ref('int_settlement_periods'), ref('known_source_gaps'), date_column,
                              period_column, publication_delay_minutes, check_missing_days, partial_run_edges,
                              where_clause, dataset_code) }}
) as gaps
where gap_kind != 'known_source'

{% endtest %}
