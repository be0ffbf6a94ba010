{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- Key drivers of NPS and CSAT (关键驱动因素): for each topic, period (week, month), its frequency
-- among survey responses and its impact, estimated by a with/without comparison matched on period
-- and survey channel: within each channel, the mean score of responses about the topic minus the
-- mean of the other responses, averaged over channels with the topic's responses as weights
-- (the effect on the topic's own respondents). Scores are NPS points per response (promoter
-- +100, passive 0, detractor -100) and CSAT points (satisfied 100, else 0); the 95% interval uses
-- the normal approximation with the two groups' variances (the margin-of-error formula of kpi_nps).
with responses as (
    select
        submitted_date,
        channel,
        topic_code,
        -- Doubles, not decimal literals: Spark's avg() of a decimal is a decimal rounded to 4 more
        -- places (-33.33333), DuckDB's a double (dbt_project/README.md, "Spark").
        cast(case nps_category when 'promoter' then 100 when 'detractor' then -100 when 'passive' then 0 end as double)
            as nps_points,
        cast(case when csat is not null then case when is_csat_satisfied then 100 else 0 end end as double) as csat_points
    from {{ ref('fct_survey_responses') }}
),

-- Incremental: a night recomputes the weeks and months of its responses' dates onwards.
periods as (
    select * from ({{ recomputed_periods('responses', 'submitted_date',
                                         recompute_from(0, [(ref('fct_survey_responses'), 'submitted_date')])) }}) as expanded
    where period_type <> 'day'
),

topics as (
    select distinct period_type, period_start, topic_code from periods
),

-- One row per period, topic and channel: the topic's responses (with) against the rest (without).
strata as (
    select
        topics.period_type,
        topics.period_start,
        topics.topic_code,
        periods.channel,
        count(case when periods.topic_code = topics.topic_code then periods.nps_points end) as nps_n_with,
        avg(case when periods.topic_code = topics.topic_code then periods.nps_points end) as nps_with,
        var_pop(case when periods.topic_code = topics.topic_code then periods.nps_points end) as nps_var_with,
        count(case when periods.topic_code <> topics.topic_code then periods.nps_points end) as nps_n_without,
        avg(case when periods.topic_code <> topics.topic_code then periods.nps_points end) as nps_without,
        var_pop(case when periods.topic_code <> topics.topic_code then periods.nps_points end) as nps_var_without,
        count(case when periods.topic_code = topics.topic_code then periods.csat_points end) as csat_n_with,
        avg(case when periods.topic_code = topics.topic_code then periods.csat_points end) as csat_with,
        var_pop(case when periods.topic_code = topics.topic_code then periods.csat_points end) as csat_var_with,
        count(case when periods.topic_code <> topics.topic_code then periods.csat_points end) as csat_n_without,
        avg(case when periods.topic_code <> topics.topic_code then periods.csat_points end) as csat_without,
        var_pop(case when periods.topic_code <> topics.topic_code then periods.csat_points end) as csat_var_without
    from topics
    inner join periods on periods.period_type = topics.period_type and periods.period_start = topics.period_start
    group by 1, 2, 3, 4
),

matched as (
    select
        period_type,
        period_start,
        topic_code,
        sum(nps_n_with) as nps_responses_with,
        sum(case when nps_n_without > 0 then nps_n_with end) as nps_matched,
        sum(case when nps_n_without > 0 then nps_n_with * (nps_with - nps_without) end) as nps_weighted_gap,
        sum(case when nps_n_without > 0 then nps_n_with * nps_n_with
            * (nps_var_with / nps_n_with + nps_var_without / nps_n_without) end) as nps_weighted_variance,
        sum(case when csat_n_without > 0 then csat_n_with end) as csat_matched,
        sum(case when csat_n_without > 0 then csat_n_with * (csat_with - csat_without) end) as csat_weighted_gap,
        sum(case when csat_n_without > 0 then csat_n_with * csat_n_with
            * (csat_var_with / csat_n_with + csat_var_without / csat_n_without) end) as csat_weighted_variance
    from strata
    group by 1, 2, 3
),

estimated as (
    select
        matched.*,
        {{ safe_ratio('nps_weighted_gap', 'nps_matched') }} as nps_impact,
        case when nps_matched > 0 then sqrt(nps_weighted_variance) / nps_matched end as nps_impact_se,
        {{ safe_ratio('csat_weighted_gap', 'csat_matched') }} as csat_impact,
        case when csat_matched > 0 then sqrt(csat_weighted_variance) / csat_matched end as csat_impact_se,
        cast(nps_responses_with as double)
            / sum(nps_responses_with) over (partition by period_type, period_start) as frequency,
        1.0 / count(*) over (partition by period_type, period_start) as average_frequency
    from matched
)

select
    estimated.period_type,
    estimated.period_start,
    estimated.topic_code,
    topics.name_zh as topic_name_zh,
    nps_responses_with as responses,
    frequency,
    nps_impact,
    nps_impact - 1.96 * nps_impact_se as nps_impact_lower,
    nps_impact + 1.96 * nps_impact_se as nps_impact_upper,
    frequency * nps_impact as nps_effect_on_total,
    csat_impact,
    csat_impact - 1.96 * csat_impact_se as csat_impact_lower,
    csat_impact + 1.96 * csat_impact_se as csat_impact_upper,
    coalesce(nps_impact + 1.96 * nps_impact_se < 0 or nps_impact - 1.96 * nps_impact_se > 0, false) as is_significant,
    nps_responses_with < {{ var('nps_min_n') }} as is_low_n,
    case
        when nps_impact < 0 and frequency >= average_frequency then '优先改进'
        when nps_impact < 0 then '持续关注'
        when frequency >= average_frequency then '保持优势'
        else '次要优势'
    end as quadrant,
    row_number() over (partition by estimated.period_type, estimated.period_start
                       order by frequency * nps_impact nulls last, estimated.topic_code) as negative_rank
from estimated
left join {{ ref('dim_topics') }} as topics on topics.topic_code = estimated.topic_code
