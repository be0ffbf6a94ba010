-- The topic codes each scored landing day's topic model could assign. Days scored since the nightly records
-- them (stg_nlp__topic_codes) say so; a day scored before takes what its model version recorded on another day,
-- else every code that version assigned anywhere (a version that never assigned a topic is taken not to know
-- it: a warehouse from before the codes were recorded would otherwise read a topic added since as known on
-- days that could not mention it, and raise it as emerging).
with scored_days as (
    select distinct partition_date, model_version from {{ ref('stg_nlp__document_topics') }}
),

recorded as (
    select distinct partition_date, model_version, topic_code from {{ ref('stg_nlp__topic_codes') }}
),

unrecorded as (
    select * from scored_days
    where partition_date not in (select partition_date from recorded)
),

recorded_by_version as (
    select distinct model_version, topic_code from recorded
),

assigned_by_version as (
    select distinct model_version, topic_code from {{ ref('stg_nlp__document_topics') }}
)

select partition_date, topic_code from recorded
union
select unrecorded.partition_date, known.topic_code
from unrecorded
inner join recorded_by_version as known on known.model_version = unrecorded.model_version
union
select unrecorded.partition_date, assigned.topic_code
from unrecorded
inner join assigned_by_version as assigned on assigned.model_version = unrecorded.model_version
where unrecorded.model_version not in (select model_version from recorded_by_version)
