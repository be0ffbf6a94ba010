-- Every scored document carries three calibrated probabilities that sum to 1; unknown ones carry none.
select doc_type, doc_id, sentiment_label, sentiment_negative, sentiment_neutral, sentiment_positive
from {{ ref('stg_nlp__document_sentiment') }}
where (sentiment_label = 'unknown') <> (sentiment_negative is null)
   or abs(sentiment_negative + sentiment_neutral + sentiment_positive - 1) > 0.001
