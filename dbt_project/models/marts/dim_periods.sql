-- One row per calendar day, ISO week (Monday start) and month the data covers, with the start of
-- the calendar's previous period. Period-over-period comparisons join on previous_period_start, so
-- an empty previous period gives no change instead of silently comparing with an older one.
with periods as (
    select distinct 'day' as period_type, date_day as period_start from {{ ref('dim_dates') }}
    union all
    select distinct 'week', week_start from {{ ref('dim_dates') }}
    union all
    select distinct 'month', month_start from {{ ref('dim_dates') }}
)

select
    period_type,
    period_start,
    cast(case period_type
        when 'day' then {{ dbt.dateadd('day', -1, 'period_start') }}
        when 'week' then {{ dbt.dateadd('day', -7, 'period_start') }}
        else {{ dbt.dateadd('month', -1, 'period_start') }}
    end as date) as previous_period_start
from periods
