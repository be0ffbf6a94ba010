"""Benchmarks behind `make bench`; each section writes its figures into bench/results.json."""
