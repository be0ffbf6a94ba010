-- Follow-up rate (回访及时率): among detractors, logged complaints and level-3 cases whose
-- followup_window_hours window has closed or that were followed up, the share called back
-- within the window. By trigger period (day / week / month), team, tier and trigger type.
-- Rebuilt whole every night (an outbound call tonight ends the wait of triggers of any age), from
-- counts per trigger day and slice: one pass over the triggers, then the periods and slices sum
-- a few thousand rows instead of expanding every trigger three times.
{% set dims = {'team': 'agent_team_key', 'tier': 'customer_tier', 'trigger': 'trigger_type'} %}
with daily as (
    select
        coalesce(agent_team, '(无坐席)') as agent_team_key,
        customer_tier,
        trigger_type,
        trigger_date,
        count(*) as triggers,
        count(case when is_followup_pending then 1 end) as pending_triggers,
        count(case when not is_followup_pending then 1 end) as eligible_triggers,
        count(case when is_followed_up_in_window then 1 end) as followed_up_in_window,
        count(case when is_waiting then 1 end) as waiting_triggers
    from {{ ref('fct_followups') }}
    group by 1, 2, 3, 4
),

periods as ({{ period_rows('daily', 'trigger_date') }}),

counts as (
    select
        period_type,
        period_start,
        {{ kpi_slice_columns(dims) }},
        cast(sum(triggers) as bigint) as triggers,
        cast(sum(pending_triggers) as bigint) as pending_triggers,
        cast(sum(eligible_triggers) as bigint) as eligible_triggers,
        cast(sum(followed_up_in_window) as bigint) as followed_up_in_window,
        cast(sum(waiting_triggers) as bigint) as waiting_triggers
    from periods
    group by {{ kpi_grouping_sets(dims) }}
)

select
    counts.*,
    {{ safe_ratio('followed_up_in_window', 'eligible_triggers') }} as followup_rate
from counts
