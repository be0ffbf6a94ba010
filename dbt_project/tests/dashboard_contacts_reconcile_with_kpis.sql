-- The dashboards' daily contact aggregate gives the same FCR counts and contact total as the KPI
-- mart and the fact table, so a chart never disagrees with kpi_fcr.
with daily as (
    select sum(contacts) as contacts, sum(fcr_eligible) as eligible, sum(fcr_resolved) as resolved
    from {{ ref('rpt_contacts_daily') }}
),
kpi as (
    select sum(eligible_contacts) as eligible, sum(resolved_contacts) as resolved
    from {{ ref('kpi_fcr') }} where period_type = 'month' and dimension = 'all'
),
facts as (select count(*) as contacts from {{ ref('fct_contacts') }})
select daily.*, kpi.eligible as kpi_eligible, kpi.resolved as kpi_resolved, facts.contacts as fact_contacts
from daily cross join kpi cross join facts
where daily.contacts <> facts.contacts or daily.eligible <> kpi.eligible or daily.resolved <> kpi.resolved
