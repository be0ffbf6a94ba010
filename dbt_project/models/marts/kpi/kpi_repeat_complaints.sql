-- Repeat complaint rate (重复投诉率): complaints followed by another complaint from the same
-- customer on the same topic within repeat_window_days; complaints still inside their window are pending.
{% set dims = {'topic': 'topic_code', 'tier': 'customer_tier', 'team': 'agent_team_key'} %}
with complaints as (
    select *, coalesce(agent_team, '(无坐席)') as agent_team_key from {{ ref('fct_complaints') }}
),

periods as ({{ period_rows('complaints', 'complaint_date') }})

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
