{# Whether `column` holds any of `handles` (the brand's @-accounts, var brand_handles); false for none. #}
{% macro mentions_any(column, handles) -%}
    {%- if handles | length == 0 -%} false
    {%- else -%} ({% for handle in handles %}contains({{ column }}, '{{ handle | replace("'", "''") }}'){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
