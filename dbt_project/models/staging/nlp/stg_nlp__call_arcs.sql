select
    call_id, customer_start_score, customer_end_score, customer_min_score, customer_mean_score, call_label,
    agent_mean_score,
    scored_customer_turns, recovered, deteriorated, start_label, end_label, model_version
from {{ latest_delivery(source('nlp', 'call_arcs'), 'call_id') }} as arcs
