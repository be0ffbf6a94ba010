{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='customer_id',
          on_schema_change='append_new_columns') }}
-- Logged complaints and when the same customer complained next on the same topic (二次投诉);
-- fct_complaints applies the repeat window and its censoring. Incremental like
-- int_issues__contact_sequences: the customers whose contacts a night (re)wrote are re-sequenced,
-- stamped _sequenced_at and written in date order (_built_at stays the contact's own stamp).
with complaints as (
    select contact_id, customer_id, topic_code, contacted_at, contact_date, customer_tier, agent_team,
           contact_channel, third_party_escalation, escalation_tier, partition_date, _built_at
    from {{ ref('int_contacts_unified') }}
    where is_logged_complaint
    {% if is_nightly() %}
      and customer_id in {{ changed_customers(ref('int_contacts_unified')) }}
    {% endif %}
)

select
    complaints.*,
    lead(contacted_at) over (partition by customer_id, topic_code order by contacted_at, contact_id)
        as next_complaint_at,
    {{ this_run_at() }} as _sequenced_at
from complaints
order by contact_date, contact_id
