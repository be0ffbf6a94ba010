-- The codes each landing day's topic model could assign. A day's rows are replaced whole when the day
-- is scored again, so there is no delivery history to rank.
select model_version, topic_code, _partition_date as partition_date
from {{ source('nlp', 'topic_codes') }}
