{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='complaint_id',
          on_schema_change='append_new_columns') }}
-- Logged complaints (level 1) with the repeat-complaint flag and its censoring. Incremental like
-- fct_contacts: a night recomputes the complaints of the customers it re-sequenced and those whose
-- repeat window was still open, and writes the rows that changed, stamped _built_at.
with sequences as (
    {{ resequenced_or_open(ref('int_issues__complaint_sequences'), var('repeat_window_days')) }}
),

computed as (
    select
        contact_id as complaint_id,
        customer_id,
        customer_tier,
        agent_team,
        contact_channel,
        topic_code,
        contacted_at as complained_at,
        contact_date as complaint_date,
        escalation_tier,
        third_party_escalation,
        next_complaint_at,
        ({{ dbt.dateadd('day', var('repeat_window_days'), 'contacted_at') }} > {{ as_of_at() }}) as is_repeat_pending,
        (next_complaint_at is not null
            and next_complaint_at <= {{ dbt.dateadd('day', var('repeat_window_days'), 'contacted_at') }}) as is_repeated
    from sequences
)

-- A complaint's own columns change only when int_contacts_unified rewrites it (as in fct_contacts).
{{ changed_rows('computed', 'complaint_id', compared=['next_complaint_at', 'is_repeat_pending', 'is_repeated'],
                rewritten=rewritten_upstream('computed.complaint_id')) }}
