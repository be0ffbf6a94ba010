{{ config(
    materialized='incremental',
    incremental_strategy=incremental_strategy(),
    unique_key='contact_id',
    on_schema_change='append_new_columns'
) }}
-- One row per contact with first-contact resolution, SLA and sentiment fields. Incremental:
-- the nightly run rebuilds its days plus the trailing fcr window, whose pending flags change.
with sequences as (
    select * from {{ ref('int_issues__contact_sequences') }}
    {% if is_incremental() and var('start_date') is not none %}
    where contact_date >= {{ dbt.dateadd('day', -var('fcr_window_days') - 1, "cast('" ~ var('start_date') ~ "' as date)") }}
    {% endif %}
),

standards as (
    select
        max(case when sla_code = 'answer_30s' then threshold end) as answer_seconds
    from {{ ref('sla_standards') }}
)

select
    contact_id,
    contact_channel,
    customer_id,
    customer_tier,
    agent_team,
    contacted_at,
    contact_date,
    topic_code,
    reason_topic,
    is_logged_complaint,
    agent_resolved,
    escalation_tier,
    queue_wait_seconds,
    duration_seconds,
    transfer_count,
    sentiment_label,
    sentiment_score,
    sentiment_min_score,
    start_sentiment_label,
    recovered,
    deteriorated,
    third_party_escalation,
    is_first_contact,
    is_fcr_pending,
    is_first_contact and not is_fcr_pending as is_fcr_eligible,
    is_first_contact and not is_fcr_pending and not has_repeat_within_fcr_window as is_fcr_resolved,
    case when contact_channel = 'call' then queue_wait_seconds <= standards.answer_seconds end as answered_within_sla,
    case when contact_channel = 'call' then coalesce(agent_resolved, false) and not has_repeat_within_24h end
        as resolved_within_24h,
    previous_contact_at,
    next_contact_at,
    partition_date
from sequences
cross join standards
