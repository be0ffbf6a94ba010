{{ config(materialized='table' if target.type == 'spark' else 'view') }}
-- On Spark a table: Spark's models reach the warehouse as views over their Parquet files, and a
-- Spark view has none (Spark rebuilds every model each night, so the as-of columns stay current).
-- The inner loop (回访): one row per event that calls for the company to reach out to a customer
-- (a detractor survey answer, a logged complaint, a level-3 third-party case) with the first
-- outbound call to that customer after it, and whether it came within followup_window_hours.
-- A trigger whose window is still open at the data's as-of time and has no follow-up yet is
-- pending: left out of the rate, like FCR's censoring. A view: the stored triggers
-- (int_followups, incremental) do not depend on the as-of time; the pending flag and the hours
-- waiting, which move with it every night, are computed when read.
select
    triggers.trigger_type,
    triggers.trigger_id,
    triggers.customer_id,
    triggers.customer_tier,
    triggers.agent_team,
    triggers.topic_code,
    triggers.trigger_level,
    triggers.trigger_at,
    triggers.trigger_date,
    triggers.followup_due_at,
    triggers.followed_up_at,
    triggers.hours_to_followup,
    triggers.is_followed_up_in_window,
    not triggers.is_followed_up_in_window and triggers.followup_due_at > as_of.as_of_at as is_followup_pending,
    triggers.followed_up_at is null as is_waiting,
    case when triggers.followed_up_at is null then {{ hours_between('triggers.trigger_at', 'as_of.as_of_at') }} end
        as hours_waiting,
    triggers.customer_trigger_count,
    triggers.tier_rank,
    triggers.verbatim
from {{ ref('int_followups') }} as triggers
cross join (select {{ as_of_at() }} as as_of_at) as as_of
