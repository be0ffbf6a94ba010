{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- First-contact resolution from data beside the agent-flagged rate (domain.md): among first
-- contacts whose window has closed, the share with no repeat contact on the topic in the window.
-- Incremental: a night recomputes the periods from fcr_window_days + 1 before its
-- first contact date (repeats and censoring reach that far back) and those of rewritten older contacts.
{% set dims = {'channel': 'contact_channel', 'topic': 'topic_code', 'tier': 'customer_tier', 'team': 'agent_team_key'} %}
with contacts as (
    select *, coalesce(agent_team, '(无坐席)') as agent_team_key
    from {{ ref('fct_contacts') }}
    where is_first_contact
),

periods as ({{ recomputed_periods('contacts', 'contact_date',
                                   recompute_from(var('fcr_window_days') + 1, [(ref('fct_contacts'), 'contact_date')]),
                                   extra_dates=rewritten_old_contact_dates()) }})

select
    period_type,
    period_start,
    {{ kpi_slice_columns(dims) }},
    count(*) as first_contacts,
    count(case when is_fcr_pending then 1 end) as pending_contacts,
    count(case when is_fcr_eligible then 1 end) as eligible_contacts,
    count(case when is_fcr_resolved then 1 end) as resolved_contacts,
    {{ safe_ratio('count(case when is_fcr_resolved then 1 end)', 'count(case when is_fcr_eligible then 1 end)') }}
        as fcr_rate,
    count(case when is_fcr_eligible and agent_resolved is not null then 1 end) as agent_flag_contacts,
    count(case when is_fcr_eligible and agent_resolved then 1 end) as agent_resolved_contacts,
    {{ safe_ratio('count(case when is_fcr_eligible and agent_resolved then 1 end)',
                  'count(case when is_fcr_eligible and agent_resolved is not null then 1 end)') }} as agent_fcr_rate
from periods
group by {{ kpi_grouping_sets(dims) }}
