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
    mentions_brand,
    is_repost,
    platform,
    _partition_date as partition_date
from {{ latest_delivery(source('raw', 'social_posts'), 'post_id') }} as posts
