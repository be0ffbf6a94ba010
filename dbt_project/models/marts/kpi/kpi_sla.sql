{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- Service standards on calls: answered within 30 s, resolved within 24 h; escalation tier mix,
-- transfers, handle and wait times. The 4-hour complaint plan needs case-system timestamps that
-- call exports do not carry, so it is not reported.
-- Incremental: a night recomputes the periods from the day before its first call date
-- (a call tonight can undo yesterday's resolution within 24 h).
{% set dims = {'team': 'agent_team', 'tier': 'customer_tier', 'topic': 'topic_code'} %}
with calls as (
    select * from {{ ref('fct_contacts') }} where contact_channel = 'call'
),

periods as ({{ recomputed_periods('calls', 'contact_date', recompute_from(1, [(ref('fct_contacts'), 'contact_date')])) }})

select
    period_type,
    period_start,
    {{ kpi_slice_columns(dims) }},
    count(*) as calls,
    count(case when answered_within_sla then 1 end) as answered_within_30s,
    {{ safe_ratio('count(case when answered_within_sla then 1 end)', 'count(*)') }} as answer_30s_rate,
    count(case when resolved_within_24h then 1 end) as resolved_within_24h,
    {{ safe_ratio('count(case when resolved_within_24h then 1 end)', 'count(*)') }} as resolve_24h_rate,
    avg(cast(queue_wait_seconds as double)) as avg_wait_seconds,
    avg(cast(duration_seconds as double)) as avg_handle_seconds,
    {{ safe_ratio('count(case when transfer_count > 0 then 1 end)', 'count(*)') }} as transfer_rate,
    {{ safe_ratio('count(case when escalation_tier > 1 then 1 end)', 'count(*)') }} as escalation_rate,
    count(case when escalation_tier = 1 then 1 end) as tier_1_frontline,
    count(case when escalation_tier = 2 then 1 end) as tier_2_expert,
    count(case when escalation_tier = 3 then 1 end) as tier_3_supervisor,
    count(case when escalation_tier = 4 then 1 end) as tier_4_executive
from periods
group by {{ kpi_grouping_sets(dims) }}
