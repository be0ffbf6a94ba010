{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- The complaint iceberg (投诉冰山) per period and topic. Above the waterline: level 3 (a third
-- party: 12315, regulator, media, lawyer), level 2 (negative posts addressed to the brand), level 1
-- (logged complaints). Below it: negative calls not logged as complaints, detractor or negative
-- survey comments that followed no complaint, negative posts not addressed to the brand, and the
-- estimated silent dissatisfied = logged complaints x silent_ratio. Levels count signals, so a
-- logged complaint that also threatened 12315 counts in level 1 and in level 3.
-- Incremental: a night recomputes the periods of its signals' dates onwards.
{% set dims = {'topic': 'topic_code'} %}
with signals as (
    select * from {{ ref('int_iceberg__signals') }}
),

periods as ({{ recomputed_periods('signals', 'event_date', recompute_from(0, [
    (ref('fct_contacts'), 'contact_date'), (ref('fct_social_posts'), 'posted_date'),
    (ref('fct_survey_responses'), 'submitted_date')])) }}),

levels as (
    select
        period_type,
        period_start,
        {{ kpi_slice_columns(dims) }},
        sum(level_3) as level_3_third_party,
        sum(level_2) as level_2_public_posts,
        sum(level_1) as level_1_logged_complaints,
        sum(below_calls) as below_negative_calls_not_logged,
        sum(below_surveys) as below_dissatisfied_surveys,
        sum(below_posts) as below_negative_posts_not_to_brand
    from periods
    group by {{ kpi_grouping_sets(dims) }}
)

select
    levels.*,
    level_1_logged_complaints * {{ var('silent_ratio') }} as estimated_silent_dissatisfied,
    level_3_third_party + level_2_public_posts + level_1_logged_complaints as above_waterline,
    below_negative_calls_not_logged + below_dissatisfied_surveys + below_negative_posts_not_to_brand
        as below_waterline_observed,
    {{ safe_ratio('level_1_logged_complaints',
                  'level_3_third_party + level_2_public_posts + level_1_logged_complaints
                   + below_negative_calls_not_logged + below_dissatisfied_surveys + below_negative_posts_not_to_brand') }}
        as visibility_ratio
from levels
