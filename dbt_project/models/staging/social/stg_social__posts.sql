{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key='post_id',
          on_schema_change='append_new_columns') }}
-- A table, not a view: every model and test reads the current version of each row without ranking
-- the whole delivery history again; a night adds its partitions (staged_delivery).
select
    post_id,
    author_id,
    author_name,
    customer_id,
    posted_at,
    cast(posted_at as date) as posted_date,
    text,
    reposts,
    comments,
    likes,
    coalesce(mentions_brand, {{ mentions_any('text', var('brand_handles')) }}) as mentions_brand,
    is_repost,
    platform,
    _partition_date as partition_date
from {{ staged_delivery(source('raw', 'social_posts'), 'post_id') }} as posts
