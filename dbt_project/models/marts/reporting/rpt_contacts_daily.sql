{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='event_date',
          on_schema_change='append_new_columns') }}
-- Contacts summed per day, channel, topic, tier and team: the numerators and denominators of
-- every contact KPI (flags defined in fct_contacts), so dashboard ratios stay exact under any
-- filter combination while reading a few thousand rows instead of every contact.
-- Incremental: a night recomputes the days kpi_fcr recomputes (dbt_project/README.md).
select
    contact_date as event_date,
    contact_channel,
    topic_code,
    customer_tier,
    coalesce(agent_team, '(无坐席)') as agent_team,
    count(*) as contacts,
    count(case when is_logged_complaint then 1 end) as complaints,
    count(case when is_fcr_eligible then 1 end) as fcr_eligible,
    count(case when is_fcr_resolved then 1 end) as fcr_resolved,
    count(case when is_fcr_eligible and agent_resolved is not null then 1 end) as agent_flagged,
    count(case when is_fcr_eligible and agent_resolved then 1 end) as agent_resolved,
    count(answered_within_sla) as sla_measured,
    count(case when answered_within_sla then 1 end) as answered_within_30s,
    count(resolved_within_24h) as resolve_measured,
    count(case when resolved_within_24h then 1 end) as resolved_within_24h,
    count(queue_wait_seconds) as wait_measured,
    sum(queue_wait_seconds) as wait_seconds,
    count(duration_seconds) as handle_measured,
    sum(duration_seconds) as handle_seconds,
    count(transfer_count) as transfer_measured,
    count(case when transfer_count > 0 then 1 end) as transferred,
    count(escalation_tier) as escalation_measured,
    count(case when escalation_tier > 1 then 1 end) as escalated,
    count(case when start_sentiment_label = 'negative' then 1 end) as started_negative,
    count(case when sentiment_label = 'negative' then 1 end) as negative_contacts,
    count(case when recovered then 1 end) as recovered,
    count(case when sentiment_label <> 'unknown' then 1 end) as sentiment_known
from {{ ref('fct_contacts') }}
where {{ recomputed_days('contact_date',
                         recompute_from(var('fcr_window_days') + 1, [(ref('fct_contacts'), 'contact_date')]),
                         extra_dates=rewritten_old_contact_dates()) }}
group by contact_date, contact_channel, topic_code, customer_tier, coalesce(agent_team, '(无坐席)')
