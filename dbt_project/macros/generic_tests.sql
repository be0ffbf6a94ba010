{# Generic tests written here because there is no dbt package hub to install them from. #}

{% test between(model, column_name, min_value, max_value) %}
    select {{ column_name }} from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{% test non_negative(model, column_name) %}
    select {{ column_name }} from {{ model }} where {{ column_name }} < 0
{% endtest %}

{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n from {{ model }}
    group by {{ columns | join(', ') }} having count(*) > 1
{% endtest %}

{% test not_more_than(model, column_name, other_column) %}
    select {{ column_name }}, {{ other_column }} from {{ model }} where {{ column_name }} > {{ other_column }}
{% endtest %}

{#
  dbt's built-in `unique`, narrowed on a night: a night's run writes a few rows into tables of tens
  of millions, and a duplicate it creates shares its key with a row written tonight, so the night
  checks only the keys of those rows (against the whole table). Rows written tonight: stamped
  _built_at by this run (intermediate and fact models), or in the night's partitions (staging). A
  full build, or a table with neither column, is checked whole. README "Incremental strategy".
#}
{% test unique(model, column_name) %}
    {%- set written = written_tonight(model) -%}
    select {{ column_name }} as unique_field, count(*) as n_records
    from {{ model }}
    where {{ column_name }} is not null
    {%- if written %}
      and {{ column_name }} in (select {{ column_name }} from {{ model }} where {{ written }})
    {%- endif %}
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}

{#
  dbt's built-in `relationships`, narrowed the same way: on a night only the rows the night wrote
  are looked up in the parent. Parents here only gain keys between full builds (customers, topics,
  calls are never deleted by a night), so an older row cannot lose its parent on a night.
#}
{% test relationships(model, column_name, to, field) %}
    {%- set written = written_tonight(model) -%}
    with child as (
        select {{ column_name }} as from_field
        from {{ model }}
        where {{ column_name }} is not null
        {%- if written %} and {{ written }}{% endif %}
    ),

    parent as (
        select {{ field }} as to_field from {{ to }}
    )

    select from_field
    from child
    left join parent on child.from_field = parent.to_field
    where parent.to_field is null
{% endtest %}

{% macro written_tonight(model) -%}
    {#- The condition that picks the rows of `model` the running night wrote, or '' where the run
        is not a night (no window, or --full-refresh) or the table has no stamp. -#}
    {%- if not execute or nightly_window() is none or flags.FULL_REFRESH -%}
        {{ return('') }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(model) | map(attribute='name') | list -%}
    {%- if '_built_at' in names -%}
        {{ return('_built_at = ' ~ this_run_at()) }}
    {%- elif 'partition_date' in names -%}
        {{ return(incremental_window('partition_date')) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
