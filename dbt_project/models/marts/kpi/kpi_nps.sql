{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- NPS with n and the 95% margin of error in points; points with n below nps_min_n are flagged,
-- and a week-over-week (or month-over-month) change is significant only beyond the combined
-- margin sqrt(moe_now^2 + moe_before^2). "Previous" is the calendar's previous period; when it had no
-- responses the change is null.
{% set dims = {'channel': 'channel', 'topic': 'topic_code', 'tier': 'customer_tier'} %}
with responses as (
    select * from {{ ref('fct_survey_responses') }} where nps is not null
),

-- Incremental: a night recomputes the periods of its responses' dates onwards, reading the period
-- before each for the change.
periods as ({{ recomputed_periods('responses', 'submitted_date',
                                  recompute_from(0, [(ref('fct_survey_responses'), 'submitted_date')]),
                                  with_previous=true) }}),

recomputed as (
    select distinct period_type, period_start from periods where is_recomputed
),

counts as (
    select
        period_type,
        period_start,
        {{ kpi_slice_columns(dims) }},
        count(*) as responses,
        count(case when nps_category = 'promoter' then 1 end) as promoters,
        count(case when nps_category = 'passive' then 1 end) as passives,
        count(case when nps_category = 'detractor' then 1 end) as detractors
    from periods
    group by {{ kpi_grouping_sets(dims) }}
),

scored as (
    select
        counts.*,
        cast(promoters as double) / responses as promoter_share,
        cast(detractors as double) / responses as detractor_share,
        100.0 * (cast(promoters as double) - detractors) / responses as nps,
        100.0 * 1.96 * sqrt(
            (cast(promoters as double) / responses + cast(detractors as double) / responses
             - power((cast(promoters as double) - detractors) / responses, 2)) / responses
        ) as margin_of_error,
        responses < {{ var('nps_min_n') }} as is_low_n
    from counts
),

with_previous as (
    -- The calendar's previous period (dim_periods), not the previous row: after a week without
    -- responses there is no week-over-week change rather than a comparison with an older week.
    select
        scored.*,
        previous.nps as previous_nps,
        previous.margin_of_error as previous_margin_of_error,
        previous.is_low_n as previous_is_low_n
    from scored
    left join {{ ref('dim_periods') }} as calendar
        on calendar.period_type = scored.period_type and calendar.period_start = scored.period_start
    left join scored as previous
        on previous.period_type = scored.period_type
        and previous.period_start = calendar.previous_period_start
        and previous.dimension = scored.dimension
        and previous.dimension_value = scored.dimension_value
)

select
    with_previous.*,
    nps - previous_nps as nps_change,
    coalesce(
        abs(nps - previous_nps) > sqrt(power(margin_of_error, 2) + power(previous_margin_of_error, 2))
            and not is_low_n and not previous_is_low_n,
        false
    ) as is_change_significant
from with_previous
where exists (
    select 1 from recomputed
    where recomputed.period_type = with_previous.period_type and recomputed.period_start = with_previous.period_start
)
