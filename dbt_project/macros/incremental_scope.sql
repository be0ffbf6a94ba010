{#
  The scope of a nightly incremental run (README "Incremental strategy"). A night loads the
  partitions start_date..end_date; what it can change is
  - the rows of those partitions (incremental_window),
  - every contact of the customers those rows belong to, since an issue (customer, topic) is
    sequenced over its whole history (changed_customers),
  - rows whose censoring window closes with the new as-of time (censor_window_start).
  Intermediate and fact models stamp the rows they (re)write with this_run_at(), so the next model
  reads what changed from the stamp instead of recomputing everything.
#}

{% macro is_nightly() -%}
    {#- An incremental run limited to a window of partitions; a full refresh, or an incremental run
        without start_date/end_date, rebuilds everything. -#}
    {{ return(is_incremental() and var('start_date') is not none and var('end_date') is not none) }}
{%- endmacro %}

{% macro this_run_at() -%}
    {#- The invocation's start time (UTC), the same literal in every model of one dbt run. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{% macro changed_customers(relation) -%}
    {#- Customers with at least one row of `relation` (re)written by this run. -#}
    (select distinct customer_id from {{ relation }} where _built_at = {{ this_run_at() }})
{%- endmacro %}

{% macro censor_window_start(days) -%}
    {#- The first date whose `days`-long window was still open at the previous as-of time (the end of
        the day before start_date): its pending flags may close tonight. -#}
    {{ dbt.dateadd('day', -days - 1, "cast('" ~ var('start_date') ~ "' as date)") }}
{%- endmacro %}

{% macro as_of_at() -%}
    {#- The data's as-of time: the end of the last loaded day of contacts. Windows (FCR, repeat
        complaints, follow-ups) are censored here. -#}
    (select cast({{ dbt.dateadd('day', 1, 'max(partition_date)') }} as timestamp) from {{ ref('int_contacts_unified') }})
{%- endmacro %}

{% macro changed_rows(computed, key) -%}
    {#- The rows of CTE `computed` (every column but the stamp) that differ from the built table's
        version of the same key, stamped _built_at; on a full build every row. Writing only these
        keeps the stamp meaning "changed tonight". -#}
    {%- if is_nightly() -%}
        {%- set names = [] -%}
        {%- for column in adapter.get_columns_in_relation(this) if column.name != '_built_at' -%}
            {%- do names.append(adapter.quote(column.name)) -%}
        {%- endfor -%}
        select *, {{ this_run_at() }} as _built_at from (
            select {{ names | join(', ') }} from {{ computed }}
            except
            select {{ names | join(', ') }} from {{ this }}
            where {{ key }} in (select {{ key }} from {{ computed }})
        ) as changed
    {%- else -%}
        select *, {{ this_run_at() }} as _built_at from {{ computed }}
    {%- endif -%}
{%- endmacro %}
