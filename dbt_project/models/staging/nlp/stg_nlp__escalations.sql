select doc_type, doc_id, escalation_risk, escalation_category, escalation_party, escalation_confidence,
       escalation_evidence
from {{ latest_delivery(source('nlp', 'escalations'), 'doc_type, doc_id') }} as escalations
