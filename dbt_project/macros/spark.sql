{#
  The Spark side of the project (target `spark` in profiles.yml). Each macro here is either a
  `spark__` implementation found by adapter.dispatch, so the DuckDB SQL stays as it is, or a hook
  that only does something on Spark. dbt_project/README.md ("Spark") lists every difference.
#}

{% macro register_lake_sources() -%}
    {#- on-run-start: register each source table's Parquet folder, <lake>/<schema>/<table>
        (pipelines/lake.py writes them), as a Spark table. Dropping and creating again is
        metadata only (the tables are external) and picks up new day partitions and columns. -#}
    {%- if execute and target.type == 'spark' -%}
        {%- set lake = env_var('VOC_DBT_LAKE_DIR', env_var('VOC_DATA_DIR', '../data') ~ '/lake') -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query('create table ' ~ source.schema ~ '.' ~ source.identifier ~ " using parquet location '"
                             ~ lake ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {#- DuckDB adds an interval and returns a timestamp to the microsecond, also from a date;
        dbt-spark's own dateadd goes through whole unix seconds (dropping sub-second time) and
        fails on nulls. Interval arithmetic on a timestamp (TIMESTAMP_NTZ, see profiles.yml)
        matches DuckDB. -#}
    {%- set months = {'year': 12, 'quarter': 3, 'month': 1} -%}
    {%- set arguments = {'week': '{n} * 7, 0, 0, 0', 'day': '{n}, 0, 0, 0', 'hour': '0, {n}, 0, 0',
                         'minute': '0, 0, {n}, 0', 'second': '0, 0, 0, {n}'} -%}
    {%- if datepart in months -%}
        (cast({{ from_date_or_timestamp }} as timestamp) + make_ym_interval(0, ({{ interval }}) * {{ months[datepart] }}))
    {%- elif datepart in arguments -%}
        (cast({{ from_date_or_timestamp }} as timestamp) + make_dt_interval({{ arguments[datepart].replace('{n}', '(' ~ interval ~ ')') }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error("dateadd: datepart '" ~ datepart ~ "' is not implemented on Spark") }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__hours_between(start_ts, end_ts) -%}
    {#- DuckDB's datediff('hour') counts hour boundaries crossed (10:59 to 11:01 is 1); Spark's
        timestampdiff counts whole hours elapsed (0). Truncating both to the hour first matches. -#}
    timestampdiff(HOUR, date_trunc('HOUR', {{ start_ts }}), date_trunc('HOUR', {{ end_ts }}))
{%- endmacro %}

{% macro spark__ordered_string_agg(measure, delimiter, order_by) -%}
    {#- Spark takes no ORDER BY inside the call, only WITHIN GROUP. -#}
    listagg({{ measure }}, {{ delimiter }}) within group (order by {{ order_by }})
{%- endmacro %}

{% macro should_full_refresh() -%}
    {#- dbt's own rule (the model's `full_refresh` config, else the --full-refresh flag), except that
        on Spark every incremental model is rebuilt whole each night. Spark writes Parquet tables,
        with no merge nor delete (Delta or Iceberg need jars from Maven, unreachable offline), so an
        incremental run can only overwrite partitions: a model that rewrites rows scattered over
        many days (a customer's contacts, the periods whose windows moved) or that has no partitions
        would lose the rows it did not select. A whole rebuild equals the full build by construction;
        its cost is in bench/results.json (`spark`). -#}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- if target.type == 'spark' and config.get('materialized') == 'incremental' -%}
        {%- set config_full_refresh = true -%}
    {%- endif -%}
    {%- do return(config_full_refresh) -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {#- dbt-spark's own, except that an empty seed cell is a NULL literal: its session cursor
        formats a None binding as the string 'None', so a parent-less topic got parent 'None' and
        an empty keyword list became a leaf (dim_topics differed from DuckDB's). -#}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set bindings = [] -%}
        {%- for row in chunk -%}
            {%- for value in row -%}
                {%- if value is not none -%}{%- do bindings.append(value) -%}{%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ 'null' if row[loop.index0] is none else get_binding_char() }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}
