-- CSAT: share of 4-5 answers on the 1-5 scale.
{% set dims = {'channel': 'channel', 'topic': 'topic_code', 'tier': 'customer_tier'} %}
with responses as (
    select * from {{ ref('fct_survey_responses') }} where csat is not null
),

periods as ({{ period_rows('responses', 'submitted_date') }})

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
