{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- Sentiment index (mean probability of positive) and negative share, by source and topic. A call
-- counts once with its call-level customer sentiment (fct_contacts.sentiment_score/label), on the
-- same scale as a survey comment or a post.
-- Incremental: a night recomputes the periods of its documents' dates onwards.
{% set dims = {'source': 'source', 'topic': 'topic_code'} %}
with scored as (
    select 'survey' as source, topic_code, submitted_date as event_date, comment_sentiment_label as label,
           comment_sentiment_score as score
    from {{ ref('fct_survey_responses') }}
    union all
    select 'social', topic_code, posted_date, sentiment_label, sentiment_score from {{ ref('fct_social_posts') }}
    union all
    select 'call', topic_code, contact_date, sentiment_label, sentiment_score
    from {{ ref('fct_contacts') }} where contact_channel = 'call'
),

known as (select * from scored where label <> 'unknown'),

periods as ({{ recomputed_periods('known', 'event_date', recompute_from(0, [
    (ref('fct_contacts'), 'contact_date'), (ref('fct_social_posts'), 'posted_date'),
    (ref('fct_survey_responses'), 'submitted_date')])) }})

select
    period_type,
    period_start,
    {{ kpi_slice_columns(dims) }},
    count(*) as scored_documents,
    avg(score) as sentiment_index,
    count(case when label = 'negative' then 1 end) as negative_documents,
    {{ safe_ratio("count(case when label = 'negative' then 1 end)", 'count(*)') }} as negative_share
from periods
group by {{ kpi_grouping_sets(dims) }}
