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

{% macro staged_delivery(relation, key) -%}
    {#- latest_delivery for an incremental staging table: a night reads only its own partitions and
        keeps, per key, the latest of them unless the table already holds a later delivery (a night
        re-run out of order never brings an older version back); delete+insert on the key then
        replaces the older version. A full build reads every partition. -#}
    {%- if is_nightly() -%}
        (
            select *
            from (
                select *, max(_partition_date) over (partition by {{ key }}) as _latest_delivery
                from {{ relation }}
                where {{ incremental_window('_partition_date') }}
            ) as deliveries
            where _partition_date = _latest_delivery
              and not exists (
                  select 1 from {{ this }} as staged
                  where staged.partition_date > deliveries._partition_date
                  {%- for column in key.split(',') %}
                    and staged.{{ column | trim }} = deliveries.{{ column | trim }}
                  {%- endfor %}
              )
        )
    {%- else -%}
        {{ latest_delivery(relation, key) }}
    {%- endif -%}
{%- endmacro %}
