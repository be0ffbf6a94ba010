select doc_type, doc_id, escalation_risk, escalation_channel, escalation_evidence
from {{ source('nlp', 'escalations') }}
