{#
  KPI marts are long tables: one row per period (day / week / month) and per slice, where a
  slice is either everything ('all') or one value of one dimension (channel, topic, tier, team).
  These two macros write the select expressions and the GROUPING SETS for that shape.
#}
{% macro kpi_slice_columns(dimensions) -%}
    case
    {%- for name, column in dimensions.items() %}
        when grouping({{ column }}) = 0 then '{{ name }}'
    {%- endfor %}
        else 'all'
    end as dimension,
    coalesce(
    {%- for name, column in dimensions.items() %}
        case when grouping({{ column }}) = 0 then cast({{ column }} as {{ dbt.type_string() }}) end,
    {%- endfor %}
        'all'
    ) as dimension_value
{%- endmacro %}

{% macro kpi_grouping_sets(dimensions) -%}
    grouping sets (
        (period_type, period_start)
    {%- for name, column in dimensions.items() %},
        (period_type, period_start, {{ column }})
    {%- endfor %}
    )
{%- endmacro %}
