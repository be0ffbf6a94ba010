{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='customer_id',
          on_schema_change='append_new_columns') }}
-- Customers with their tier and the rule-based tags of the bank's tag system (seed 003).
-- Incremental: a night recomputes the customers it brought calls, posts or surveys for. Nothing
-- else moves a customer's columns: contacts and complaints change only when int_contacts_unified
-- rewrites them (that night's calls and posts, and the posts of customers those calls retiered),
-- and the flags that move with the as-of time (pending FCR and repeat windows) are not used here.
-- depends_on: {{ ref('stg_calls__calls') }} {{ ref('stg_social__posts') }} (read on nights only)
{% set changed %}{% if is_nightly() %}where customer_id in (select customer_id from changed_customers){% endif %}{% endset %}
with
{% if is_nightly() -%}
changed_customers as (
    select customer_id from {{ ref('stg_calls__calls') }} where {{ incremental_window('partition_date') }}
    union select customer_id from {{ ref('stg_social__posts') }} where {{ incremental_window('partition_date') }}
    union select customer_id from {{ ref('stg_surveys__responses') }} where {{ incremental_window('partition_date') }}
),

{% endif -%}
contacts as (
    select
        customer_id,
        count(*) as contacts,
        count(case when contact_channel = 'call' then 1 end) as calls,
        count(case when is_logged_complaint then 1 end) as complaints,
        count(case when third_party_escalation then 1 end) as escalations,
        count(case when sentiment_label = 'negative' then 1 end) as negative_contacts,
        max(contacted_at) as last_contact_at
    from {{ ref('fct_contacts') }}
    {{ changed }}
    group by customer_id
),

-- fct_contacts holds every contact of int_contacts_unified: its customers need no second scan.
customers as (
    select customer_id from contacts
    union
    select customer_id from {{ ref('stg_surveys__responses') }} {{ changed }}
),

repeats as (
    select customer_id, count(case when is_repeated then 1 end) as repeated_complaints
    from {{ ref('fct_complaints') }}
    {{ changed }}
    group by customer_id
),

latest_survey as (
    select customer_id, nps_category
    from {{ ref('stg_surveys__responses') }}
    {{ changed }}
    {{ 'and' if is_nightly() else 'where' }} nps is not null
    qualify row_number() over (partition by customer_id order by submitted_at desc, survey_id desc) = 1
),

-- Filtered first: joined whole, the three million customers' tiers became the join's hash table.
tiers as (
    select customer_id, customer_tier from {{ ref('int_customer_tiers') }} {{ changed }}
),

tagged as (
    select
        customers.customer_id,
        coalesce(tiers.customer_tier, 'standard') as customer_tier,
        coalesce(contacts.contacts, 0) as contacts,
        coalesce(contacts.complaints, 0) as complaints,
        contacts.last_contact_at,
        coalesce(repeats.repeated_complaints, 0) > 0 as is_repeat_complainer,
        coalesce(latest_survey.nps_category = 'detractor', false) as is_detractor,
        coalesce(contacts.escalations, 0) > 0 as is_third_party_escalator,
        coalesce(contacts.calls, 0) >= 3 and contacts.calls = contacts.contacts as prefers_phone,
        coalesce(contacts.negative_contacts, 0) > 0 as has_negative_contact
    from customers
    left join tiers on tiers.customer_id = customers.customer_id
    left join contacts on contacts.customer_id = customers.customer_id
    left join repeats on repeats.customer_id = customers.customer_id
    left join latest_survey on latest_survey.customer_id = customers.customer_id
)

select
    tagged.*,
    customer_tier in ('diamond', 'gold')
        and (is_repeat_complainer or is_detractor or is_third_party_escalator or has_negative_contact)
        as is_high_value_at_risk,
    concat_ws('、',
        case when is_repeat_complainer then '重复投诉' end,
        case when is_detractor then '贬损者' end,
        case when customer_tier in ('diamond', 'gold')
                  and (is_repeat_complainer or is_detractor or is_third_party_escalator or has_negative_contact)
             then '高价值流失风险' end,
        case when is_third_party_escalator then '第三方投诉' end,
        case when prefers_phone then '偏好电话' end
    ) as tags_zh
from tagged
