-- Logged complaints (level 1) with the repeat-complaint flag and its censoring.
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
    ({{ dbt.dateadd('day', var('repeat_window_days'), 'contacted_at') }} > as_of_at) as is_repeat_pending,
    (next_complaint_at is not null
        and next_complaint_at <= {{ dbt.dateadd('day', var('repeat_window_days'), 'contacted_at') }}) as is_repeated
from {{ ref('int_issues__complaint_sequences') }}
{% if is_incremental() and var('start_date') is not none %}
where contact_date >= {{ dbt.dateadd('day', -var('repeat_window_days') - 1, "cast('" ~ var('start_date') ~ "' as date)") }}
{% endif %}
