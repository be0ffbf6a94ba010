{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='customer_id',
          on_schema_change='append_new_columns') }}
-- An issue is (customer, topic). Each contact learns its neighbours on the same issue, which is
-- all that first-contact resolution needs; the censoring at the as-of time (pending windows) is
-- applied by fct_contacts. Incremental: a night re-sequences every contact of the customers whose
-- contacts it (re)wrote, and replaces those customers' rows (unique_key customer_id), stamped
-- _sequenced_at: the rows land at the table's end, so fct_contacts finds tonight's in the scan's
-- zone maps instead of joining ten million rows on customer_id.
with contacts as (
    select * from {{ ref('int_contacts_unified') }}
    {% if is_nightly() %}
    where customer_id in {{ changed_customers(ref('int_contacts_unified')) }}
    {% endif %}
),

ordered as (
    select
        contacts.*,
        lag(contacted_at) over issue_contacts as previous_contact_at,
        lead(contacted_at) over issue_contacts as next_contact_at,
        row_number() over issue_contacts as issue_contact_number
    from contacts
    window issue_contacts as (partition by customer_id, topic_code order by contacted_at, contact_id)
)

select
    ordered.*,
    {{ this_run_at() }} as _sequenced_at,
    (previous_contact_at is null
        or previous_contact_at < {{ dbt.dateadd('day', -var('fcr_window_days'), 'contacted_at') }}) as is_first_contact,
    (next_contact_at is not null
        and next_contact_at <= {{ dbt.dateadd('day', var('fcr_window_days'), 'contacted_at') }}) as has_repeat_within_fcr_window,
    (next_contact_at is not null
        and next_contact_at <= {{ dbt.dateadd('hour', 24, 'contacted_at') }}) as has_repeat_within_24h
from ordered
-- Date order makes the zone maps of this table and of fct_contacts (written in the same order)
-- skip the row groups a date filter excludes: fct_contacts' open fcr windows, the KPI periods.
order by contact_date, contact_id
