{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='post_id',
          on_schema_change='append_new_columns') }}
-- Every post with sentiment, topic and escalation; contacts are the brand-addressed posts of known customers.
-- Incremental: a nightly run adds its landing days.
select
    p.post_id,
    p.author_id,
    p.author_name,
    p.customer_id,
    p.posted_at,
    p.posted_date,
    p.text,
    p.reposts,
    p.comments,
    p.likes,
    p.mentions_brand,
    p.is_repost,
    p.mentions_brand and p.customer_id is not null as is_contact,
    coalesce(t.topic_code, 'other') as topic_code,
    coalesce(s.sentiment_label, 'unknown') as sentiment_label,
    s.sentiment_score,
    coalesce(s.sentiment_label, 'unknown') = 'negative' as is_negative,
    coalesce(e.escalation_risk, false) as third_party_escalation,
    e.escalation_evidence,
    p.partition_date
from {{ ref('stg_social__posts') }} as p
left join {{ ref('stg_nlp__document_topics') }} as t on t.doc_type = 'post' and t.doc_id = p.post_id
left join {{ ref('stg_nlp__document_sentiment') }} as s on s.doc_type = 'post' and s.doc_id = p.post_id
left join {{ ref('stg_nlp__escalations') }} as e on e.doc_type = 'post' and e.doc_id = p.post_id
{% if is_incremental() %}
where {{ incremental_window('p.partition_date') }}
{% endif %}
