-- Logged complaints and whether the same customer complained again on the same topic within
-- repeat_window_days (二次投诉), censored like FCR.
with complaints as (
    select contact_id, customer_id, topic_code, contacted_at, contact_date, customer_tier, agent_team,
           contact_channel, third_party_escalation, escalation_tier, partition_date
    from {{ ref('int_contacts_unified') }}
    where is_logged_complaint
),

as_of as (
    select max(as_of_at) as as_of_at from {{ ref('int_issues__contact_sequences') }}
)

select
    complaints.*,
    lead(contacted_at) over (partition by customer_id, topic_code order by contacted_at, contact_id)
        as next_complaint_at,
    as_of.as_of_at
from complaints
cross join as_of
