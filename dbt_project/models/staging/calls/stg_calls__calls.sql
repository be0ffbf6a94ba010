{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='call_id',
          on_schema_change='append_new_columns') }}
-- A table, not a view: every model and test reads the current version of each row without ranking
-- the whole delivery history again; a night adds its partitions (staged_delivery).
select
    call_id,
    customer_id,
    customer_tier,
    agent_id,
    agent_team,
    started_at,
    cast(started_at as date) as started_date,
    queue_wait_seconds,
    duration_seconds,
    reason_code as reason_topic,
    resolved_flag as agent_resolved,
    complaint_flag as is_logged_complaint,
    cast(escalation_tier as integer) as escalation_tier,
    transfer_count,
    turn_count,
    coalesce(direction, 'inbound') as direction,
    _partition_date as partition_date
from {{ staged_delivery(source('raw', 'calls'), 'call_id') }} as calls
