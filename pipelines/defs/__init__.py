"""Dagster definitions split by domain; ``pipelines.definitions`` merges them."""
