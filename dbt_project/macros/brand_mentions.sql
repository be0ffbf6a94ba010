{# Whether `column` holds any of `handles` (the brand's @-accounts, var brand_handles); false for none. instr, not
   contains: Spark before 3.3 lacks contains. #}
{% macro mentions_any(column, handles) -%}
    {%- if handles | length == 0 -%} false
    {%- else -%} ({% for handle in handles %}instr({{ column }}, '{{ handle | replace("'", "''") }}') > 0{% if not loop.last %} or {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
