select
    call_id,
    turn_index,
    speaker,
    start_s,
    end_s,
    text,
    _partition_date as partition_date
from {{ latest_delivery(source('raw', 'call_turns'), 'call_id') }} as turns
