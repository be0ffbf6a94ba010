-- Business rule: a contact whose FCR window has not closed is never counted as resolved or eligible.
select contact_id from {{ ref('fct_contacts') }}
where is_fcr_pending and (is_fcr_eligible or is_fcr_resolved)
