{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='survey_id',
          on_schema_change='append_new_columns') }}
-- Survey responses with the (text) topic and tier of the contact they follow and the comment's sentiment.
-- Incremental: a nightly run adds its landing days; a response never changes once loaded.
select
    s.survey_id,
    s.customer_id,
    s.interaction_id,
    s.channel,
    s.submitted_at,
    s.submitted_date,
    s.nps,
    s.csat,
    s.nps_category,
    s.csat >= 4 as is_csat_satisfied,
    s.comment,
    coalesce(ct.topic_code, t.topic_code, 'other') as topic_code,
    coalesce(c.customer_tier, tiers.customer_tier, 'standard') as customer_tier,
    c.agent_team,
    coalesce(c.is_logged_complaint, false) as follows_logged_complaint,
    coalesce(sent.sentiment_label, 'unknown') as comment_sentiment_label,
    sent.sentiment_score as comment_sentiment_score,
    coalesce(e.escalation_risk, false) as third_party_escalation,
    s.partition_date
from {{ ref('stg_surveys__responses') }} as s
left join {{ ref('stg_calls__calls') }} as c on c.call_id = s.interaction_id
left join {{ ref('int_customer_tiers') }} as tiers on tiers.customer_id = s.customer_id
left join {{ ref('stg_nlp__document_topics') }} as ct on ct.doc_type = 'call' and ct.doc_id = s.interaction_id
left join {{ ref('stg_nlp__document_topics') }} as t on t.doc_type = 'survey' and t.doc_id = s.survey_id
left join {{ ref('stg_nlp__document_sentiment') }} as sent on sent.doc_type = 'survey' and sent.doc_id = s.survey_id
left join {{ ref('stg_nlp__escalations') }} as e on e.doc_type = 'survey' and e.doc_id = s.survey_id
{% if is_incremental() %}
where {{ incremental_window('s.partition_date') }}
{% endif %}
