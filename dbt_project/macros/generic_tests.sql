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
