-- Weekly topic volume across sources, its negative share, and an emerging flag (蝴蝶效应): this
-- week against the mean of the trailing emerging_baseline_weeks calendar weeks in which the topic was in the
-- taxonomy, with a significance test.
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

-- Weeks with a landing day whose topic model could not assign the topic (int_topic_codes_by_day): a topic
-- an analyst adds and re-runs recent days for was unsayable before, so those weeks are no baseline for it,
-- neither a zero nor a week counted (its false "emerging" alerts, round 24).
unknown_weeks as (
    select distinct
        cast({{ dbt.date_trunc('week', 'scored.partition_date') }} as date) as week_start,
        topics.topic_code
    from (select distinct partition_date from {{ ref('int_topic_codes_by_day') }}) as scored
    cross join (select distinct topic_code from weekly where topic_code is not null) as topics
    left join {{ ref('int_topic_codes_by_day') }} as codes
        on codes.partition_date = scored.partition_date and codes.topic_code = topics.topic_code
    where codes.topic_code is null
),

-- Every calendar week (dim_periods) for every topic, zero where nothing was said: the trailing
-- baseline then averages the calendar's previous weeks, quiet weeks included, never older ones.
dense as (
    select
        weeks.period_start as week_start,
        topics.topic_code,
        coalesce(weekly.volume, 0) as volume,
        coalesce(weekly.negative_volume, 0) as negative_volume,
        unknown_weeks.topic_code is null as topic_known
    from {{ ref('dim_periods') }} as weeks
    cross join (select distinct topic_code from weekly) as topics
    left join weekly on weekly.week_start = weeks.period_start and weekly.topic_code = topics.topic_code
    left join unknown_weeks on unknown_weeks.week_start = weeks.period_start
        and unknown_weeks.topic_code = topics.topic_code
    where weeks.period_type = 'week'
),

with_baseline as (
    select
        dense.*,
        sum(case when topic_known then volume else 0 end) over baseline_window as baseline_total,
        coalesce(sum(case when topic_known then 1 else 0 end) over baseline_window, 0) as baseline_weeks
    from dense
    window baseline_window as (
        partition by topic_code order by week_start
        rows between {{ var('emerging_baseline_weeks') }} preceding and 1 preceding
    )
),

-- Significance: under "same weekly rate as the baseline", this week's share of (this week +
-- baseline weeks) is Binomial(n, 1/(k+1)) (the conditional test for two Poisson rates); z is its
-- one-sided normal approximation with continuity correction.
tested as (
    select
        with_baseline.*,
        {{ safe_ratio('baseline_total', 'baseline_weeks') }} as baseline_volume,
        case when baseline_weeks > 0 and volume + baseline_total > 0 then
            (volume - 0.5 - (volume + baseline_total) / (baseline_weeks + 1.0))
            / sqrt((volume + baseline_total) * baseline_weeks / power(baseline_weeks + 1.0, 2))
        end as emerging_z
    from with_baseline
)

select
    tested.week_start,
    tested.topic_code,
    topics.name_zh as topic_name_zh,
    volume,
    negative_volume,
    {{ safe_ratio('negative_volume', 'volume') }} as negative_share,
    baseline_volume,
    baseline_weeks,
    {{ safe_ratio('volume', 'baseline_volume') }} as volume_vs_baseline,
    emerging_z,
    coalesce(baseline_weeks >= 4
        and volume >= {{ var('emerging_min_volume') }}
        and volume > baseline_volume * {{ var('emerging_ratio') }}
        and emerging_z >= {{ var('emerging_min_z') }}, false) as is_emerging
from tested
left join {{ ref('dim_topics') }} as topics on topics.topic_code = tested.topic_code
