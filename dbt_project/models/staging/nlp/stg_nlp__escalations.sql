select doc_type, doc_id, escalation_risk, escalation_category, escalation_party, escalation_confidence,
       escalation_evidence
from {{ source('nlp', 'escalations') }}
