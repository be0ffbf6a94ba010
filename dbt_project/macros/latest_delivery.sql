{% macro latest_delivery(relation, key) -%}
    {#- The rows of the latest landing day that delivered each key. Survey tools export "all
        responses to date" and source systems re-send corrected files, so raw keeps one version
        per delivery day (the history); the source contracts' re-delivery policy latest_wins
        (pipelines/contracts/*.yml) makes the latest one current. Within a day a key is unique
        (the loader quarantines duplicate_id), except call turns, which all follow their call. -#}
    (
        select *
        from (
            select *, max(_partition_date) over (partition by {{ key }}) as _latest_delivery
            from {{ relation }}
        ) as deliveries
        where _partition_date = _latest_delivery
    )
{%- endmacro %}
