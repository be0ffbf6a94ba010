select
    t.topic_code,
    t.name_zh,
    t.parent_code,
    parent.name_zh as parent_name_zh,
    t.keywords is not null and t.keywords <> '' as is_leaf
from {{ ref('topic_taxonomy') }} as t
left join {{ ref('topic_taxonomy') }} as parent on parent.topic_code = t.parent_code
