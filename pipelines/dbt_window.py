"""The nightly window as the dbt project reads it: two environment variables, not ``--vars``.

dbt re-parses the whole project whenever ``--vars`` differ from the previous invocation's (its
partial-parse check hashes them), and a night's dates differ every night: about 3 s of CPU on each
night (dbt_project/README.md, "Incremental strategy"). The project reads these variables only while
executing (macro ``nightly_window``), never while parsing, so a new night keeps the saved parse.
"""

from __future__ import annotations

START_DATE = "VOC_DBT_START_DATE"
END_DATE = "VOC_DBT_END_DATE"


def window_env(start: str, end: str | None = None) -> dict[str, str]:
    """{variable: ISO date} for the partitions ``start``..``end`` (``end`` defaults to ``start``)."""
    return {START_DATE: start, END_DATE: end or start}
