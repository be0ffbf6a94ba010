{{ config(materialized='incremental', incremental_strategy=incremental_strategy(),
          unique_key=['period_type', 'period_start'], on_schema_change='append_new_columns') }}
-- Recovery rate (转怒为喜): recovered calls over calls whose customer started negative.
-- Incremental: a night recomputes the periods of its calls' dates onwards.
{% set dims = {'team': 'agent_team', 'topic': 'topic_code', 'tier': 'customer_tier'} %}
with calls as (
    select * from {{ ref('fct_contacts') }} where contact_channel = 'call'
),

periods as ({{ recomputed_periods('calls', 'contact_date', recompute_from(0, [(ref('fct_contacts'), 'contact_date')])) }})

select
    period_type,
    period_start,
    {{ kpi_slice_columns(dims) }},
    count(*) as calls,
    count(case when start_sentiment_label = 'negative' then 1 end) as started_negative,
    count(case when recovered then 1 end) as recovered,
    count(case when deteriorated then 1 end) as deteriorated,
    {{ safe_ratio('count(case when recovered then 1 end)', "count(case when start_sentiment_label = 'negative' then 1 end)") }}
        as recovery_rate
from periods
group by {{ kpi_grouping_sets(dims) }}
