{{ config(materialized='incremental', incremental_strategy=incremental_strategy(), unique_key=['doc_type', 'doc_id'],
          on_schema_change='append_new_columns') }}
-- A table, not a view: every model and test reads the current version of each row without ranking
-- the whole delivery history again; a night adds its partitions (staged_delivery).
select doc_type, doc_id, topic_code, method as topic_method, confidence as topic_confidence, model_version,
    _partition_date as partition_date
from {{ staged_delivery(source('nlp', 'document_topics'), 'doc_type, doc_id') }} as topics
