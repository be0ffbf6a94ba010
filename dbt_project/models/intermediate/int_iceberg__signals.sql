{{ config(materialized="view") }}
-- One row per dissatisfaction signal source record, flagged by iceberg level (domain.md): the one
-- definition both kpi_iceberg and the dashboard's rpt_iceberg_levels count from.
select contact_date as event_date, topic_code, 'call' as source, customer_tier,
       case when is_logged_complaint then 1 else 0 end as level_1,
       0 as level_2,
       case when third_party_escalation then 1 else 0 end as level_3,
       case when not is_logged_complaint and sentiment_label = 'negative' then 1 else 0 end as below_calls,
       0 as below_surveys,
       0 as below_posts
from {{ ref('fct_contacts') }}
where contact_channel = 'call'
union all
select p.posted_date, p.topic_code, 'social', tiers.customer_tier,
       0,
       case when p.mentions_brand and p.is_negative then 1 else 0 end,
       case when p.third_party_escalation then 1 else 0 end,
       0, 0,
       case when not p.mentions_brand and p.is_negative then 1 else 0 end
from {{ ref('fct_social_posts') }} as p
left join {{ ref('int_customer_tiers') }} as tiers on tiers.customer_id = p.customer_id
union all
select submitted_date, topic_code, 'survey', customer_tier, 0, 0,
       case when third_party_escalation then 1 else 0 end,
       0,
       case when not follows_logged_complaint
                 and (nps_category = 'detractor' or comment_sentiment_label = 'negative') then 1 else 0 end,
       0
from {{ ref('fct_survey_responses') }}
