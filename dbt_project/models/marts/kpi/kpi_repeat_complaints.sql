{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- Repeat complaint rate (重复投诉率): complaints followed by another complaint from the same
-- customer on the same topic within repeat_window_days; complaints still inside their window are pending.
-- Incremental: a night recomputes the periods from repeat_window_days + 1 before its
-- first contact date (repeats and censoring reach that far back).
{% set dims = {'topic': 'topic_code', 'tier': 'customer_tier', 'team': 'agent_team_key'} %}
with complaints as (
    select *, coalesce(agent_team, '(无坐席)') as agent_team_key from {{ ref('fct_complaints') }}
),

periods as ({{ recomputed_periods('complaints', 'complaint_date',
                                   recompute_from(var('repeat_window_days') + 1, [(ref('fct_contacts'), 'contact_date')])) }})

select
    period_type,
    period_start,
    {{ kpi_slice_columns(dims) }},
    count(*) as complaints,
    count(case when is_repeat_pending then 1 end) as pending_complaints,
    count(case when not is_repeat_pending then 1 end) as eligible_complaints,
    count(case when not is_repeat_pending and is_repeated then 1 end) as repeated_complaints,
    {{ safe_ratio('count(case when not is_repeat_pending and is_repeated then 1 end)',
                  'count(case when not is_repeat_pending then 1 end)') }} as repeat_complaint_rate
from periods
group by {{ kpi_grouping_sets(dims) }}
