-- The 'all' slice of FCR per month adds up to the first contacts in fct_contacts.
with kpi as (
    select sum(first_contacts) as n from {{ ref('kpi_fcr') }} where period_type = 'month' and dimension = 'all'
),
facts as (select count(*) as n from {{ ref('fct_contacts') }} where is_first_contact)
select kpi.n, facts.n from kpi cross join facts where kpi.n <> facts.n
