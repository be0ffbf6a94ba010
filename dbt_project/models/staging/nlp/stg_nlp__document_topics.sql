select doc_type, doc_id, topic_code, method as topic_method, confidence as topic_confidence, model_version
from {{ latest_delivery(source('nlp', 'document_topics'), 'doc_type, doc_id') }} as topics
