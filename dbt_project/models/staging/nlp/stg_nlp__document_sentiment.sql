select doc_type, doc_id, sentiment_score, sentiment_label, model_version
from {{ source('nlp', 'document_sentiment') }}
