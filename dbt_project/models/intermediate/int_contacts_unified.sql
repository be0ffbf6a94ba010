{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='contact_id',
          on_schema_change='append_new_columns') }}
-- Every contact in one shape. A contact is an inbound interaction: a call, or a post that
-- addresses the brand from an account linked to a customer (domain.md). Brand mentions from
-- unknown accounts stay in fct_social_posts: without a customer they cannot be followed up.
-- A call's topic is its text topic (the customer's turns, stg_nlp__document_topics); the agent's
-- wrap-up code stays beside it as reason_topic. A call's sentiment is the call-level customer
-- sentiment (sentiment/calls.py: length- and confidence-weighted mean of the customer's turns),
-- comparable with a survey comment's or a post's; start_sentiment_label is the opening mood
-- that recovery (转怒为喜) starts from.
-- Incremental: a night (re)writes the contacts of its partitions (their NLP rows land with them),
-- and the older brand posts whose customer's current tier changed tonight; _built_at stamps them.
with calls as (
    select
        c.call_id as contact_id,
        'call' as contact_channel,
        c.customer_id,
        c.customer_tier,
        c.agent_team,
        c.started_at as contacted_at,
        c.started_date as contact_date,
        coalesce(dt.topic_code, 'other') as topic_code,
        c.reason_topic,
        c.is_logged_complaint,
        c.agent_resolved,
        c.escalation_tier,
        c.queue_wait_seconds,
        c.duration_seconds,
        c.transfer_count,
        coalesce(a.call_label, 'unknown') as sentiment_label,
        a.customer_mean_score as sentiment_score,
        a.customer_min_score as sentiment_min_score,
        coalesce(a.start_label, 'unknown') as start_sentiment_label,
        coalesce(a.recovered, false) as recovered,
        coalesce(a.deteriorated, false) as deteriorated,
        coalesce(e.escalation_risk, false) as third_party_escalation,
        c.partition_date,
        {{ this_run_at() }} as _built_at
    from {{ ref('stg_calls__calls') }} as c
    left join {{ ref('stg_nlp__call_arcs') }} as a on a.call_id = c.call_id
    left join {{ ref('stg_nlp__document_topics') }} as dt on dt.doc_type = 'call' and dt.doc_id = c.call_id
    left join {{ ref('stg_nlp__escalations') }} as e on e.doc_type = 'call' and e.doc_id = c.call_id
    -- An outbound follow-up is the company reaching out, not a contact: it must not reopen an
    -- issue, break first-contact resolution or count in SLA and volumes (fct_followups uses it).
    where c.direction = 'inbound'
    {% if is_nightly() %}
      and {{ incremental_window('c.partition_date') }}
    {% endif %}
),

brand_posts as (
    select
        p.post_id as contact_id,
        'social' as contact_channel,
        p.customer_id,
        coalesce(t.customer_tier, 'standard') as customer_tier,
        cast(null as {{ dbt.type_string() }}) as agent_team,
        p.posted_at as contacted_at,
        p.posted_date as contact_date,
        coalesce(dt.topic_code, 'other') as topic_code,
        cast(null as {{ dbt.type_string() }}) as reason_topic,
        false as is_logged_complaint,
        cast(null as boolean) as agent_resolved,
        cast(null as integer) as escalation_tier,
        cast(null as integer) as queue_wait_seconds,
        cast(null as integer) as duration_seconds,
        cast(null as integer) as transfer_count,
        coalesce(s.sentiment_label, 'unknown') as sentiment_label,
        s.sentiment_score,
        s.sentiment_score as sentiment_min_score,
        coalesce(s.sentiment_label, 'unknown') as start_sentiment_label,
        false as recovered,
        false as deteriorated,
        coalesce(e.escalation_risk, false) as third_party_escalation,
        p.partition_date,
        {{ this_run_at() }} as _built_at
    from {{ ref('stg_social__posts') }} as p
    left join {{ ref('int_customer_tiers') }} as t on t.customer_id = p.customer_id
    left join {{ ref('stg_nlp__document_topics') }} as dt on dt.doc_type = 'post' and dt.doc_id = p.post_id
    left join {{ ref('stg_nlp__document_sentiment') }} as s on s.doc_type = 'post' and s.doc_id = p.post_id
    left join {{ ref('stg_nlp__escalations') }} as e on e.doc_type = 'post' and e.doc_id = p.post_id
    where p.mentions_brand and p.customer_id is not null
    {% if is_nightly() %}
      and ({{ incremental_window('p.partition_date') }}
           -- only customers whose tier changed tonight can have a built post with another tier
           or (p.customer_id in (select customer_id from {{ ref('int_customer_tiers') }}
                                 where _built_at = {{ this_run_at() }})
               and exists (select 1 from {{ this }} as built
                           where built.contact_id = p.post_id
                             and built.customer_tier <> coalesce(t.customer_tier, 'standard'))))
    {% endif %}
)

select * from calls
union all
select * from brand_posts
