{#
  Expands each row into its day, ISO week (Monday start) and month, so one KPI model serves
  all three grains: the output has period_type and period_start columns.
#}
{% macro period_rows(relation, date_column) -%}
    select r.*, p.period_type,
        case p.period_type
            when 'day' then cast(r.{{ date_column }} as date)
            when 'week' then cast({{ dbt.date_trunc('week', 'r.' ~ date_column) }} as date)
            else cast({{ dbt.date_trunc('month', 'r.' ~ date_column) }} as date)
        end as period_start
    from {{ relation }} as r
    cross join (
        select 'day' as period_type union all select 'week' union all select 'month'
    ) as p
{%- endmacro %}
