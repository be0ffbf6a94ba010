{#
  The scope of a nightly incremental run (README "Incremental strategy"). A night loads the
  partitions of its window (nightly_window); what it can change is
  - the rows of those partitions (incremental_window),
  - every contact of the customers those rows belong to, since an issue (customer, topic) is
    sequenced over its whole history (changed_customers),
  - rows whose censoring window closes with the new as-of time (censor_window_start).
  Intermediate and fact models stamp the rows they (re)write with this_run_at(), so the next model
  reads what changed from the stamp instead of recomputing everything.
#}

{% macro nightly_window() -%}
    {#- The night's partitions {'start': 'YYYY-MM-DD', 'end': 'YYYY-MM-DD'}, or none (a whole build).
        The nightly sets VOC_DBT_START_DATE / VOC_DBT_END_DATE (pipelines/dbt_window.py). They are
        read only while executing: a changed --vars would make dbt re-parse the whole project every
        night, an environment variable read while parsing would re-parse every model using it. -#}
    {%- if var('start_date', none) is not none or var('end_date', none) is not none -%}
        {{ exceptions.raise_compiler_error("The nightly window is set with the environment variables "
            "VOC_DBT_START_DATE and VOC_DBT_END_DATE (YYYY-MM-DD), not --vars start_date/end_date.") }}
    {%- endif -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set start = env_var('VOC_DBT_START_DATE', '') -%}
    {%- set end = env_var('VOC_DBT_END_DATE', '') -%}
    {%- if (start == '') != (end == '') -%}
        {{ exceptions.raise_compiler_error("Set both VOC_DBT_START_DATE and VOC_DBT_END_DATE, or neither.") }}
    {%- endif -%}
    {{ return({'start': start, 'end': end} if start else none) }}
{%- endmacro %}

{% macro is_nightly() -%}
    {#- An incremental run limited to a window of partitions; a full refresh, or an incremental run
        without a window, rebuilds everything. -#}
    {{ return(is_incremental() and nightly_window() is not none) }}
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
        the day before the window's start): its pending flags may close tonight. -#}
    {#- A date, so that a date column compared with it is filtered in the table scan. -#}
    cast({{ dbt.dateadd('day', -days - 1, "cast('" ~ nightly_window()['start'] ~ "' as date)") }} as date)
{%- endmacro %}

{% macro resequenced_or_open(sequences, window_days) -%}
    {#- On a night, the rows of an issue-sequence model (`sequences`, stamped _sequenced_at and
        written in date order) a fact recomputes: every contact of the customers re-sequenced
        tonight, then the others whose `window_days` window was still open at the previous as-of
        time. Two scans rather than one OR: DuckDB evaluates a constant filter in the scan, where the
        zone maps skip the row groups of older nights and dates, and an OR of two columns after it.
        Outside a night, every row. -#}
    select * from {{ sequences }}
    {%- if is_nightly() %}
    where _sequenced_at = {{ this_run_at() }}
    union all
    select * from {{ sequences }}
    where contact_date >= {{ censor_window_start(window_days) }}
      and _sequenced_at is distinct from {{ this_run_at() }}
    {%- endif %}
{%- endmacro %}

{% macro rewritten_upstream(key, sequences='sequences') -%}
    {#- changed_rows' `rewritten` for the facts built from issue sequences: the row's contact was
        (re)written tonight by int_contacts_unified, whose _built_at the sequences carry. -#}
    {{ return(key ~ " in (select contact_id from " ~ sequences ~ " where _built_at = " ~ this_run_at() ~ ")") }}
{%- endmacro %}

{% macro as_of_at() -%}
    {#- The data's as-of time: the end of the last loaded day of contacts. Windows (FCR, repeat
        complaints, follow-ups) are censored here. -#}
    (select cast({{ dbt.dateadd('day', 1, 'max(partition_date)') }} as timestamp) from {{ ref('int_contacts_unified') }})
{%- endmacro %}

{% macro changed_rows(computed, key, compared=none, rewritten=none) -%}
    {#- The rows of CTE `computed` (every column but the stamp) that differ from the built table's
        version of the same key, stamped _built_at; on a full build every row. Writing only these
        keeps the stamp meaning "changed tonight".
        `compared` (column names) narrows what a night reads of the built table: where most columns
        can change only when an upstream model rewrites the row, a row is written when it is new,
        when `rewritten` (a condition on `computed`'s row: the upstream rewrote it tonight) holds, or
        when one of the `compared` columns differs. Reading the key and a few columns instead of
        every column of a table of tens of millions is most of a night's saving (fct_contacts). -#}
    {%- if is_nightly() and compared is not none -%}
        select computed.*, {{ this_run_at() }} as _built_at
        from {{ computed }} as computed
        left join (select {{ key }}, {{ compared | join(', ') }} from {{ this }}) as built
            on built.{{ key }} = computed.{{ key }}
        where built.{{ key }} is null
           or ({{ rewritten }})
           {%- for column in compared %}
           or built.{{ column }} is distinct from computed.{{ column }}
           {%- endfor %}
    {%- elif is_nightly() -%}
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

{% macro recompute_from(window_days, sources) -%}
    {#- The first date whose KPI rows a night can change: its own days and the dates of its rows (a
        late delivery can be older), each pushed back by window_days, the longest window over which
        a new row changes an older one (FCR: fcr_window_days + 1; 24-hour resolution: 1) or a
        censored flag closes. `sources`: [(relation, date_column)]; their partition_date picks the
        night's rows. Queried when the model runs, so the KPI query filters on a literal date (the
        zone maps then skip older row groups); 'null' outside a night. -#}
    {%- if not (is_nightly() and execute) -%}{{ return('null') }}{%- endif -%}
    {%- set start = "cast('" ~ nightly_window()['start'] ~ "' as date)" -%}
    {%- set firsts = [start] -%}
    {%- for relation, column in sources -%}
        {%- do firsts.append("coalesce((select min(" ~ column ~ ") from " ~ relation ~ " where "
                             ~ incremental_window('partition_date') ~ "), " ~ start ~ ")") -%}
    {%- endfor -%}
    {%- set first = run_query("select cast(" ~ dbt.dateadd('day', -window_days, 'least(' ~ firsts | join(', ') ~ ')')
                               ~ " as date)").columns[0].values()[0] -%}
    {{ return("cast('" ~ first ~ "' as date)") }}
{%- endmacro %}

{% macro recomputed_periods(relation, date_column, recompute_from, extra_dates=none, with_previous=false) -%}
    {#- period_rows(relation, date_column), limited on a night to the periods (day, week, month) that
        start on or after recompute_from's day, week and month, or that hold one of extra_dates (a
        query of one date column, e.g. rows rewritten for another reason). The model replaces
        exactly these periods (unique_key period_type, period_start). with_previous also reads the
        period before each (is_recomputed false), for period-over-period comparisons. -#}
    {%- if not is_nightly() -%}
        select *, true as is_recomputed from ({{ period_rows(relation, date_column) }}) as expanded
    {%- else -%}
        {%- set first = {
            'day': recompute_from,
            'week': "cast(" ~ dbt.date_trunc('week', recompute_from) ~ " as date)",
            'month': "cast(" ~ dbt.date_trunc('month', recompute_from) ~ " as date)"} -%}
        {%- set read_from = {
            'day': dbt.dateadd('day', -1, first['day']),
            'week': dbt.dateadd('day', -7, first['week']),
            'month': dbt.dateadd('month', -1, first['month'])} if with_previous else first -%}
        {%- set extra = {'day': [], 'week': [], 'month': []} -%}
        {%- if extra_dates is not none and execute -%}
            {%- set found = run_query("select distinct cast(extra_date as date), cast(" ~ dbt.date_trunc('week', 'extra_date')
                                      ~ " as date), cast(" ~ dbt.date_trunc('month', 'extra_date') ~ " as date) from ("
                                      ~ extra_dates ~ ") as extra(extra_date)") -%}
            {%- for row in found.rows -%}
                {%- do extra['day'].append("cast('" ~ row[0] ~ "' as date)") -%}
                {%- do extra['week'].append("cast('" ~ row[1] ~ "' as date)") -%}
                {%- do extra['month'].append("cast('" ~ row[2] ~ "' as date)") -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set rows -%}
            (select * from {{ relation }} as r
             where r.{{ date_column }} >= least(cast({{ read_from['week'] }} as date), cast({{ read_from['month'] }} as date))
             {%- if extra['day'] %}
                or cast({{ dbt.date_trunc('week', 'r.' ~ date_column) }} as date) in ({{ extra['week'] | unique | join(', ') }})
                or cast({{ dbt.date_trunc('month', 'r.' ~ date_column) }} as date) in ({{ extra['month'] | unique | join(', ') }})
             {%- endif %})
        {%- endset -%}
        {%- set conditions = {'is_recomputed': first, 'is_read': read_from} -%}
        select * from (
            select expanded.*
            {%- for name, bounds in conditions.items() %},
                {% for grain in ['day', 'week', 'month'] -%}
                (expanded.period_type = '{{ grain }}' and (expanded.period_start >= cast({{ bounds[grain] }} as date)
                    {%- if extra[grain] %} or expanded.period_start in ({{ extra[grain] | unique | join(', ') }}){% endif %}))
                {%- if not loop.last %} or {% endif %}
                {%- endfor %} as {{ name }}
            {%- endfor %}
            from ({{ period_rows(rows, date_column) }}) as expanded
        ) as periods_read
        where is_read
    {%- endif -%}
{%- endmacro %}

{% macro rewritten_old_contact_dates() -%}
    {#- Dates of older contacts a night rewrote although they did not land tonight (brand posts whose
        customer's tier changed): their periods are recomputed too. -#}
    select contact_date from {{ ref('int_contacts_unified') }}
    where _built_at = {{ this_run_at() }} and not ({{ incremental_window('partition_date') }})
{%- endmacro %}

{% macro recomputed_days(date_column, recompute_from, extra_dates=none) -%}
    {#- On a night, the condition that keeps the rows of the days a day-grain model recomputes: from
        recompute_from on, and the days of extra_dates (a query of one date column); else true. -#}
    {%- if not is_nightly() -%}
        true
    {%- else -%}
        ({{ date_column }} >= {{ recompute_from }}
        {%- if extra_dates is not none %} or {{ date_column }} in ({{ extra_dates }}){% endif %})
    {%- endif -%}
{%- endmacro %}

{% macro retiered_post_dates() -%}
    {#- Dates of the posts whose customer's current tier changed tonight (int_customer_tiers stamps). -#}
    select posted_date from {{ ref('fct_social_posts') }}
    where customer_id in (select customer_id from {{ ref('int_customer_tiers') }} where _built_at = {{ this_run_at() }})
{%- endmacro %}
