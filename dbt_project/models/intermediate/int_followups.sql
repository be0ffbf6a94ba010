{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='customer_id',
          on_schema_change='append_new_columns') }}
-- depends_on: {{ ref('int_contacts_unified') }} (read on nights only)
-- The inner loop (回访) without the as-of time: one row per event that calls for the company to
-- reach out to a customer (a detractor survey answer, a logged complaint, a level-3 third-party
-- case) with the first outbound call to that customer after it and whether it came within
-- followup_window_hours. fct_followups adds what moves with the as-of time (pending, hours waiting).
-- Incremental: a trigger's row changes only when its customer gets a new or rewritten trigger or an
-- outbound call, so a night recomputes every trigger of the customers with a contact rewritten
-- tonight (changed_customers), a survey or an outbound call in the night's partitions, and replaces
-- those customers' rows (unique_key customer_id).
{% set touched %}{% if is_nightly() %}where customer_id in (select customer_id from touched_customers){% endif %}{% endset %}
with
{% if is_nightly() -%}
touched_customers as (
    select customer_id from {{ ref('int_contacts_unified') }} where _built_at = {{ this_run_at() }}
    union
    select customer_id from {{ ref('stg_calls__calls') }}
    where direction = 'outbound' and {{ incremental_window('partition_date') }}
    union
    select customer_id from {{ ref('fct_survey_responses') }} where {{ incremental_window('partition_date') }}
),

{% endif -%}
triggers as (
    select 'detractor' as trigger_type, survey_id as trigger_id, 'survey:' || survey_id as verbatim_id,
           customer_id, customer_tier, agent_team, topic_code, submitted_at as trigger_at, 0 as trigger_level
    from {{ ref('fct_survey_responses') }}
    {{ touched }} {{ 'and' if is_nightly() else 'where' }} nps_category = 'detractor'
    union all
    select 'complaint', complaint_id, 'call:' || complaint_id,
           customer_id, customer_tier, agent_team, topic_code, complained_at, 1
    from {{ ref('fct_complaints') }}
    {{ touched }}
    union all
    select 'level_3', contact_id, case contact_channel when 'call' then 'call:' else 'post:' end || contact_id,
           customer_id, customer_tier, agent_team, topic_code, contacted_at, 3
    from {{ ref('fct_contacts') }}
    {{ touched }} {{ 'and' if is_nightly() else 'where' }} third_party_escalation
),

outbound as (
    select customer_id, started_at from {{ ref('stg_calls__calls') }}
    {{ touched }} {{ 'and' if is_nightly() else 'where' }} direction = 'outbound'
),

first_followup as (
    select triggers.trigger_type, triggers.trigger_id, min(outbound.started_at) as followed_up_at
    from triggers
    join outbound on outbound.customer_id = triggers.customer_id and outbound.started_at > triggers.trigger_at
    group by 1, 2
),

verbatims as (
    select verbatim_id, text from {{ ref('rpt_verbatims') }} {{ touched }}
)

select
    triggers.trigger_type,
    triggers.trigger_id,
    triggers.customer_id,
    triggers.customer_tier,
    triggers.agent_team,
    triggers.topic_code,
    triggers.trigger_level,
    triggers.trigger_at,
    cast(triggers.trigger_at as date) as trigger_date,
    {{ dbt.dateadd('hour', var('followup_window_hours'), 'triggers.trigger_at') }} as followup_due_at,
    first_followup.followed_up_at,
    {{ hours_between('triggers.trigger_at', 'first_followup.followed_up_at') }} as hours_to_followup,
    coalesce(first_followup.followed_up_at
        <= {{ dbt.dateadd('hour', var('followup_window_hours'), 'triggers.trigger_at') }}, false)
        as is_followed_up_in_window,
    count(*) over (partition by triggers.customer_id) as customer_trigger_count,
    case triggers.customer_tier when 'diamond' then 1 when 'gold' then 2 when 'silver' then 3 else 4 end as tier_rank,
    verbatims.text as verbatim
from triggers
left join first_followup
    on first_followup.trigger_type = triggers.trigger_type and first_followup.trigger_id = triggers.trigger_id
left join verbatims on verbatims.verbatim_id = triggers.verbatim_id
