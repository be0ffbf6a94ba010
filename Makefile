# VoC: `make demo` sets everything up and serves the UIs; `make test` runs the test suite.
# Everything is installed into ./.venv by this file; nothing outside the repo is cached.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VOC := $(BIN)/voc
DEMO_START ?= 2026-08-01
DEMO_DAYS ?= 120
DEMO_END ?= $(shell $(PYTHON) -c "import datetime as d; print(d.date.fromisoformat('$(DEMO_START)') + d.timedelta(days=$(DEMO_DAYS) - 1))")
DEMO_CUSTOMERS ?= 20000
DEMO_SEED ?= 7
# duckdb (one machine) or spark: `make demo VOC_ENGINE=spark` also installs Java and the Spark extras.
VOC_ENGINE ?= duckdb
export VOC_ENGINE
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-warn-script-location
# Superset's pins clash with Dagster/dbt, so it gets its own virtualenv.
SUPERSET_VENV := .venv-superset
SUPERSET_PIP := $(SUPERSET_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-warn-script-location

.PHONY: help install browser spark java demo serve stop test bench clean

help:
	@echo "make demo   install, generate demo data, run the nightly pipeline, serve the UIs"
	@echo "make stop   stop the background services started by make demo"
	@echo "make test   install and run the test suite"
	@echo "make bench  run the benchmarks and write bench/results.json"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e ".[test]"
	touch $@

$(SUPERSET_VENV)/bin/python:
	$(PYTHON) -m venv $(SUPERSET_VENV)

$(SUPERSET_VENV)/.installed: dashboards/requirements.txt | $(SUPERSET_VENV)/bin/python
	$(SUPERSET_PIP) -r dashboards/requirements.txt
	touch $@

install: $(VENV)/.installed $(SUPERSET_VENV)/.installed $(if $(filter spark,$(VOC_ENGINE)),spark)

# The Spark engine's extras (pyspark, dbt-spark) and the Java they run on.
$(VENV)/.spark-installed: pyproject.toml | $(VENV)/.installed
	$(PIP) -e ".[test,spark]"
	touch $@

spark: $(VENV)/.spark-installed java

# Java 17 for Spark (a Debian package; CI runs as root).
java:
	@if command -v java >/dev/null; then :; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; fi

# Headless Chromium and CJK fonts for the dashboard browser test (Debian packages; CI runs as root).
browser:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh-cn family | grep -q "Noto Sans CJK"; then :; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; fi

demo: install
	$(VOC) generate --start $(DEMO_START) --days $(DEMO_DAYS) --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)
	$(VOC) run --start $(DEMO_START) --end $(DEMO_END)
	$(VOC) serve --demo-users
	@echo
	@echo "VoC demo is ready. Services keep running in the background:"
	@echo "  Dagster   http://127.0.0.1:3000"
	@echo "  Superset  at the address printed above by voc serve (its login too; kept in \$$VOC_DATA_DIR/superset/secrets.json)"
	@echo "Stop them with: make stop"

serve: install
	$(VOC) serve

stop:
	@if [ -x $(VOC) ]; then $(VOC) stop; else echo "nothing installed, nothing to stop"; fi

# Two workers, one test file each at a time: most tests wait on services (Dagster, dbt, Superset,
# Chromium) as much as they compute, so two files overlap well on a 2-core machine.
TEST_WORKERS ?= 2

# The tests compare the Spark engine's KPIs with DuckDB's, so they need the Spark extras whatever VOC_ENGINE is.
test: install browser spark
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: install browser spark
	$(BIN)/python -m bench

clean: stop
	rm -rf data
