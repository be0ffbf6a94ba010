{{ config(
    materialized='incremental',
    incremental_strategy=incremental_strategy(),
    unique_key='contact_id',
    on_schema_change='append_new_columns'
) }}
-- One row per contact with first-contact resolution, SLA and sentiment fields. Incremental: a night
-- recomputes the contacts of the customers it re-sequenced and those whose fcr window was still
-- open (their pending flags change with the as-of time), and writes only the rows that changed,
-- stamped _built_at, so the KPI models recompute only the periods those rows fall in.
with sequences as (
    {{ resequenced_or_open(ref('int_issues__contact_sequences'), var('fcr_window_days')) }}
),

-- A contact whose fcr window has not closed by the as-of time is pending, not resolved.
censored as (
    select
        sequences.*,
        {{ dbt.dateadd('day', var('fcr_window_days'), 'contacted_at') }} > {{ as_of_at() }} as is_fcr_pending
    from sequences
),

standards as (
    select
        max(case when sla_code = 'answer_30s' then threshold end) as answer_seconds
    from {{ ref('sla_standards') }}
),

computed as (
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
from censored
cross join standards
)

-- A contact's own columns change only when int_contacts_unified rewrites it (its _built_at, carried
-- by the sequences); the rest move with its issue's sequence and the as-of time.
{{ changed_rows('computed', 'contact_id',
                compared=['is_first_contact', 'is_fcr_pending', 'is_fcr_eligible', 'is_fcr_resolved',
                          'resolved_within_24h', 'previous_contact_at', 'next_contact_at'],
                rewritten=rewritten_upstream('computed.contact_id')) }}
