select doc_type, doc_id, sentiment_score, sentiment_label, model_version
from {{ latest_delivery(source('nlp', 'document_sentiment'), 'doc_type, doc_id') }} as sentiment
