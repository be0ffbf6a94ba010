-- An issue is (customer, topic). Each contact learns its neighbours on the same issue, which is
-- all that first-contact resolution needs. Windows are censored at the data's as-of time (the
-- end of the last loaded day): a contact whose window has not closed is pending, not resolved.
with contacts as (
    select * from {{ ref('int_contacts_unified') }}
),

as_of as (
    select cast({{ dbt.dateadd('day', 1, 'max(partition_date)') }} as timestamp) as as_of_at from contacts
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
    (previous_contact_at is null
        or previous_contact_at < {{ dbt.dateadd('day', -var('fcr_window_days'), 'contacted_at') }}) as is_first_contact,
    (next_contact_at is not null
        and next_contact_at <= {{ dbt.dateadd('day', var('fcr_window_days'), 'contacted_at') }}) as has_repeat_within_fcr_window,
    ({{ dbt.dateadd('day', var('fcr_window_days'), 'contacted_at') }} > as_of.as_of_at) as is_fcr_pending,
    (next_contact_at is not null
        and next_contact_at <= {{ dbt.dateadd('hour', 24, 'contacted_at') }}) as has_repeat_within_24h,
    as_of.as_of_at
from ordered
cross join as_of
