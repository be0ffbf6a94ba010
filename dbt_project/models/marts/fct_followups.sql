-- The inner loop (回访): one row per event that calls for the company to reach out to a customer
-- (a detractor survey answer, a logged complaint, a level-3 third-party case) with the first
-- outbound call to that customer after it, and whether it came within followup_window_hours.
-- A trigger whose window is still open at the data's as-of time and has no follow-up yet is
-- pending: left out of the rate, like FCR's censoring.
with triggers as (
    select 'detractor' as trigger_type, survey_id as trigger_id, 'survey:' || survey_id as verbatim_id,
           customer_id, customer_tier, agent_team, topic_code, submitted_at as trigger_at, 0 as trigger_level
    from {{ ref('fct_survey_responses') }}
    where nps_category = 'detractor'
    union all
    select 'complaint', complaint_id, 'call:' || complaint_id,
           customer_id, customer_tier, agent_team, topic_code, complained_at, 1
    from {{ ref('fct_complaints') }}
    union all
    select 'level_3', contact_id, case contact_channel when 'call' then 'call:' else 'post:' end || contact_id,
           customer_id, customer_tier, agent_team, topic_code, contacted_at, 3
    from {{ ref('fct_contacts') }}
    where third_party_escalation
),

outbound as (
    select customer_id, started_at from {{ ref('stg_calls__calls') }} where direction = 'outbound'
),

as_of as (
    select {{ as_of_at() }} as as_of_at
),

first_followup as (
    select triggers.trigger_type, triggers.trigger_id, min(outbound.started_at) as followed_up_at
    from triggers
    join outbound on outbound.customer_id = triggers.customer_id and outbound.started_at > triggers.trigger_at
    group by 1, 2
),

decided as (
    select
        triggers.*,
        first_followup.followed_up_at,
        {{ hours_between('triggers.trigger_at', 'first_followup.followed_up_at') }} as hours_to_followup,
        coalesce(first_followup.followed_up_at
            <= {{ dbt.dateadd('hour', var('followup_window_hours'), 'triggers.trigger_at') }}, false)
            as is_followed_up_in_window,
        {{ dbt.dateadd('hour', var('followup_window_hours'), 'triggers.trigger_at') }} as followup_due_at,
        as_of.as_of_at
    from triggers
    left join first_followup
        on first_followup.trigger_type = triggers.trigger_type and first_followup.trigger_id = triggers.trigger_id
    cross join as_of
)

select
    decided.trigger_type,
    decided.trigger_id,
    decided.customer_id,
    decided.customer_tier,
    decided.agent_team,
    decided.topic_code,
    decided.trigger_level,
    decided.trigger_at,
    cast(decided.trigger_at as date) as trigger_date,
    decided.followup_due_at,
    decided.followed_up_at,
    decided.hours_to_followup,
    decided.is_followed_up_in_window,
    not decided.is_followed_up_in_window and decided.followup_due_at > decided.as_of_at as is_followup_pending,
    decided.followed_up_at is null as is_waiting,
    case when decided.followed_up_at is null then {{ hours_between('decided.trigger_at', 'decided.as_of_at') }} end
        as hours_waiting,
    count(*) over (partition by decided.customer_id) as customer_trigger_count,
    case decided.customer_tier when 'diamond' then 1 when 'gold' then 2 when 'silver' then 3 else 4 end as tier_rank,
    verbatims.text as verbatim
from decided
left join {{ ref('rpt_verbatims') }} as verbatims on verbatims.verbatim_id = decided.verbatim_id
