{# Small portable helpers. Anything adapter-specific is dispatched, so the project can run on Spark. #}

{% macro safe_ratio(numerator, denominator) -%}
    case when ({{ denominator }}) = 0 then null
         else cast({{ numerator }} as double) / ({{ denominator }}) end
{%- endmacro %}

{% macro add_days(days, timestamp) -%}
    {{ dbt.dateadd('day', days, timestamp) }}
{%- endmacro %}

{% macro hours_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('hours_between', 'voc')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__hours_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'hour') }}
{%- endmacro %}

{% macro ordered_string_agg(measure, delimiter, order_by) -%}
    {#- Concatenate ``measure`` in ``order_by`` order; ``delimiter`` is a SQL string literal. -#}
    {{ return(adapter.dispatch('ordered_string_agg', 'voc')(measure, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(measure, delimiter, order_by) -%}
    string_agg({{ measure }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}

{% macro incremental_window(column) -%}
    {#- Limits an incremental model to the nightly window (nightly_window, incremental_scope.sql). -#}
    {%- set window = nightly_window() -%}
    {%- if window is not none -%}
        {{ column }} between cast('{{ window.start }}' as date) and cast('{{ window.end }}' as date)
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{% macro incremental_strategy() -%}
    {{ return('delete+insert' if target.type == 'duckdb' else 'insert_overwrite') }}
{%- endmacro %}
