select doc_type, doc_id, sentiment_score, sentiment_label,
       sentiment_negative, sentiment_neutral, sentiment_positive, model_version
from {{ latest_delivery(source('nlp', 'document_sentiment'), 'doc_type, doc_id') }} as sentiment
