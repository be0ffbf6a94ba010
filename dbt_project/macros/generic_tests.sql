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

{% macro written_tonight(model) -%}
    {#- The condition that picks the rows of `model` the running night wrote, or '' where the run
        is not a night (no start_date/end_date, or --full-refresh) or the table has no stamp. -#}
    {%- if not execute or var('start_date') is none or var('end_date') is none or flags.FULL_REFRESH -%}
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
