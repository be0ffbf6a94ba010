{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='call_id',
          on_schema_change='append_new_columns') }}
-- A table, not a view: every model and test reads the current version of each row without ranking
-- the whole delivery history again; a night adds its partitions (staged_delivery).
select
    call_id, customer_start_score, customer_end_score, customer_min_score, customer_mean_score, call_label,
    agent_mean_score,
    scored_customer_turns, recovered, deteriorated, start_label, end_label, model_version,
    _partition_date as partition_date
from {{ staged_delivery(source('nlp', 'call_arcs'), 'call_id') }} as arcs
