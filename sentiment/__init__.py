"""Chinese NLP for VoC: normalisation, sentiment engines, topics and escalation risk.

Plain Python with no Dagster or DuckDB inside: text in, scores out.
"""
