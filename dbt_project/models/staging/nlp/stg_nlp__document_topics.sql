select doc_type, doc_id, topic_code, method as topic_method, confidence as topic_confidence, model_version
from {{ source('nlp', 'document_topics') }}
