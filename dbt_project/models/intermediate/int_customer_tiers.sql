-- A customer's current tier: the tier on their most recent call (CTI systems show it on every call).
select customer_id, customer_tier
from {{ ref('stg_calls__calls') }}
qualify row_number() over (partition by customer_id order by started_at desc, call_id desc) = 1
