{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- CSAT: share of 4-5 answers on the 1-5 scale.
-- Incremental: a night recomputes the periods of its responses' dates onwards.
{% set dims = {'channel': 'channel', 'topic': 'topic_code', 'tier': 'customer_tier'} %}
with responses as (
    select * from {{ ref('fct_survey_responses') }} where csat is not null
),

periods as ({{ recomputed_periods('responses', 'submitted_date',
                                   recompute_from(0, [(ref('fct_survey_responses'), 'submitted_date')])) }})

select
    period_type,
    period_start,
    {{ kpi_slice_columns(dims) }},
    count(*) as responses,
    count(case when is_csat_satisfied then 1 end) as satisfied,
    {{ safe_ratio('count(case when is_csat_satisfied then 1 end)', 'count(*)') }} as csat_rate,
    avg(cast(csat as double)) as csat_mean
from periods
group by {{ kpi_grouping_sets(dims) }}
