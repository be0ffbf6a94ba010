{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='verbatim_id',
          on_schema_change='append_new_columns') }}
-- What customers said, in their own (original, unnormalised) words, for drill-down: survey
-- comments, social posts, and the customer's side of each call (its first 400 characters).
-- Incremental: a nightly run adds its landing days.
with call_text as (
    select call_id, left({{ ordered_string_agg('text', "' '", 'turn_index') }}, 400) as text
    from {{ ref('stg_calls__turns') }}
    where speaker = 'customer'
    {% if is_incremental() %}
      and {{ incremental_window('partition_date') }}
    {% endif %}
    group by call_id
),

verbatims as (
    select 'call:' || c.contact_id as verbatim_id, 'call' as source, c.contact_date as event_date,
           c.contacted_at as event_at, c.customer_id, c.customer_tier, c.agent_team, c.topic_code,
           c.sentiment_label, c.sentiment_score, c.third_party_escalation,
           c.is_logged_complaint, t.text, c.partition_date
    from {{ ref('fct_contacts') }} as c
    join call_text as t on t.call_id = c.contact_id
    where c.contact_channel = 'call'
    union all
    select 'survey:' || survey_id, 'survey', submitted_date, submitted_at, customer_id, customer_tier, agent_team,
           topic_code, comment_sentiment_label, comment_sentiment_score, third_party_escalation,
           follows_logged_complaint, comment, partition_date
    from {{ ref('fct_survey_responses') }}
    where comment is not null and trim(comment) <> ''
    union all
    select 'post:' || p.post_id, 'social', p.posted_date, p.posted_at, p.customer_id, tiers.customer_tier, null,
           p.topic_code, p.sentiment_label, p.sentiment_score, p.third_party_escalation, false, p.text, p.partition_date
    from {{ ref('fct_social_posts') }} as p
    left join {{ ref('int_customer_tiers') }} as tiers on tiers.customer_id = p.customer_id
)

select * from verbatims
{% if is_incremental() %}
where {{ incremental_window('partition_date') }}
{% endif %}
