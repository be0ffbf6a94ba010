{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='event_date',
          on_schema_change='append_new_columns') }}
-- The complaint iceberg in long form for the dashboard: one row per day, topic, source, tier and
-- level, ordered from the tip (1, third party) to the deepest layer (7, estimated silent
-- dissatisfied = logged complaints x silent_ratio). Labels carry their order so charts sort by them.
-- Incremental: a night recomputes its own days and those of posts whose customer's tier changed.
with daily as (
    select
        event_date, topic_code, source, coalesce(customer_tier, 'unlinked') as customer_tier,
        sum(level_3) as level_3, sum(level_2) as level_2, sum(level_1) as level_1,
        sum(below_calls) as below_calls, sum(below_surveys) as below_surveys, sum(below_posts) as below_posts
    from {{ ref('int_iceberg__signals') }}
    where {{ recomputed_days('event_date', recompute_from(0, [
        (ref('fct_contacts'), 'contact_date'), (ref('fct_social_posts'), 'posted_date'),
        (ref('fct_survey_responses'), 'submitted_date')]), extra_dates=retiered_post_dates()) }}
    group by event_date, topic_code, source, coalesce(customer_tier, 'unlinked')
),

levels as (
    select 1 as level_order, 'level_3' as level_code, '1 三级·第三方维权' as level_name_zh, true as is_above_waterline
    union all select 2, 'level_2', '2 二级·公开负面传播', true
    union all select 3, 'level_1', '3 一级·向企业投诉', true
    union all select 4, 'below_calls', '4 水下·负面通话未登记', false
    union all select 5, 'below_surveys', '5 水下·不满问卷', false
    union all select 6, 'below_posts', '6 水下·负面帖子未@品牌', false
    union all select 7, 'silent', '7 水下·沉默不满(估算)', false
)

select
    daily.event_date,
    daily.topic_code,
    daily.source,
    daily.customer_tier,
    levels.level_order,
    levels.level_code,
    levels.level_name_zh,
    levels.is_above_waterline,
    case levels.level_code
        when 'level_3' then daily.level_3
        when 'level_2' then daily.level_2
        when 'level_1' then daily.level_1
        when 'below_calls' then daily.below_calls
        when 'below_surveys' then daily.below_surveys
        when 'below_posts' then daily.below_posts
        else daily.level_1 * {{ var('silent_ratio') }}
    end as signals
from daily
cross join levels
