"""Ingestion as plain functions: decode files, validate rows, mask PII, load DuckDB partitions."""
