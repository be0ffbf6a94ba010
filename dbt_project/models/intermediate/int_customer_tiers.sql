{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='customer_id',
          on_schema_change='append_new_columns') }}
-- A customer's current tier: the tier on their most recent call (CTI systems show it on every call).
-- Incremental: a night recomputes the customers it brought calls for and writes those whose tier
-- changed, stamped _built_at.
with computed as (
    select customer_id, customer_tier
    from {{ ref('stg_calls__calls') }}
    {% if is_nightly() %}
    where customer_id in (
        select customer_id from {{ ref('stg_calls__calls') }} where {{ incremental_window('partition_date') }}
    )
    {% endif %}
    qualify row_number() over (partition by customer_id order by started_at desc, call_id desc) = 1
)

{{ changed_rows('computed', 'customer_id') }}
