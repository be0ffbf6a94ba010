-- One row per day the data covers, with the Monday-start ISO week and the month.
with bounds as (
    select min(d) as first_day, max(d) as last_day from (
        select contact_date as d from {{ ref('fct_contacts') }}
        union all select submitted_date from {{ ref('stg_surveys__responses') }}
        union all select posted_date from {{ ref('stg_social__posts') }}
    ) as days
),

spine as (
    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2031-01-01' as date)") }}
)

select
    cast(spine.date_day as date) as date_day,
    cast({{ dbt.date_trunc('week', 'spine.date_day') }} as date) as week_start,
    cast({{ dbt.date_trunc('month', 'spine.date_day') }} as date) as month_start,
    {{ dbt.date_trunc('week', 'spine.date_day') }} = spine.date_day as is_week_start
from spine
cross join bounds
where cast(spine.date_day as date) between bounds.first_day and bounds.last_day
