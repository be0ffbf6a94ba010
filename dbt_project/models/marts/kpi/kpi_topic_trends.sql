-- Weekly topic volume across sources, its negative share, and an emerging flag (蝴蝶效应): this
-- week against the mean of the trailing emerging_baseline_weeks weeks.
with mentions as (
    select topic_code, contact_date as event_date,
           case when sentiment_label = 'negative' then 1 else 0 end as is_negative
    from {{ ref('fct_contacts') }}
    union all
    select topic_code, submitted_date, case when comment_sentiment_label = 'negative' then 1 else 0 end
    from {{ ref('fct_survey_responses') }} where comment <> ''
    union all
    select topic_code, posted_date, case when is_negative then 1 else 0 end
    from {{ ref('fct_social_posts') }} where not is_contact
),

weekly as (
    select
        cast({{ dbt.date_trunc('week', 'event_date') }} as date) as week_start,
        topic_code,
        count(*) as volume,
        sum(is_negative) as negative_volume
    from mentions
    group by 1, 2
),

with_baseline as (
    select
        weekly.*,
        avg(cast(volume as double)) over (
            partition by topic_code order by week_start
            rows between {{ var('emerging_baseline_weeks') }} preceding and 1 preceding
        ) as baseline_volume,
        count(*) over (
            partition by topic_code order by week_start
            rows between {{ var('emerging_baseline_weeks') }} preceding and 1 preceding
        ) as baseline_weeks
    from weekly
)

select
    with_baseline.week_start,
    with_baseline.topic_code,
    topics.name_zh as topic_name_zh,
    volume,
    negative_volume,
    {{ safe_ratio('negative_volume', 'volume') }} as negative_share,
    baseline_volume,
    {{ safe_ratio('volume', 'baseline_volume') }} as volume_vs_baseline,
    coalesce(baseline_weeks >= 4
        and volume >= {{ var('emerging_min_volume') }}
        and volume > baseline_volume * {{ var('emerging_ratio') }}, false) as is_emerging
from with_baseline
left join {{ ref('dim_topics') }} as topics on topics.topic_code = with_baseline.topic_code
