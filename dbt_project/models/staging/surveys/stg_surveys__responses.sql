{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='survey_id',
          on_schema_change='append_new_columns') }}
-- A table, not a view: every model and test reads the current version of each row without ranking
-- the whole delivery history again; a night adds its partitions (staged_delivery).
select
    survey_id,
    customer_id,
    interaction_id,
    channel,
    submitted_at,
    cast(submitted_at as date) as submitted_date,
    cast(nps as integer) as nps,
    cast(csat as integer) as csat,
    case when nps >= 9 then 'promoter' when nps >= 7 then 'passive' when nps is not null then 'detractor' end
        as nps_category,
    comment,
    _partition_date as partition_date
from {{ staged_delivery(source('raw', 'surveys'), 'survey_id') }} as responses
