# County Health Warehouse. Two commands matter: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DBT_SEND_ANONYMOUS_USAGE_STATS=False
export DO_NOT_TRACK=1
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
export GX_ANALYTICS_ENABLED=False
export AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False
export SCARF_ANALYTICS=false

.PHONY: demo test machine install lint clean bench bench-generate bench-ingest bench-empi bench-incremental bench-invocation

## demo: install, start the embedded warehouse, generate a county, run the DAG for each night
demo: $(STAMP)
	$(BIN)/chw demo

## test: install, then run the whole test suite (unit, integration, end to end) in two
## worker processes (the machine's two cores), each test file in one worker: a file's
## module fixtures (a county, its published nights) are built once
test: $(STAMP) machine
	$(BIN)/pytest -n 2 --dist loadfile

## machine: Debian's packages the tests use: headless Chromium (opens the HTML report) and
## redis-server (the Celery broker of the province-scale test). Best effort: without root or
## apt the tests that need them are skipped, and say why.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends
machine:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	[ -z "$$missing" ] || $(APT_INSTALL) $$missing >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update >/dev/null 2>&1 && $(APT_INSTALL) $$missing >/dev/null 2>&1 ) || \
	  echo "note: could not install$$missing; the tests that need them will be skipped"

## install: the pinned environment in .venv (re-done only when the pins change)
install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

## bench: the county benchmark (docs/benchmarks.md): ingest per format next to COPY and
## to_sql, then a year of a 1,000,000-resident county through the DAG (about 100 minutes)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py --population 1000000
	$(BIN)/python benchmarks/bench_county.py --population 1000000 --history 365 --short 30

## bench-generate: one export night of a 1,000,000-resident county (docs/benchmarks.md)
bench-generate: $(STAMP)
	rm -rf .chw/bench/county
	$(BIN)/chw generate --out .chw/bench/county --population 1000000 --days 1

## bench-ingest: rows/s per format next to raw COPY and pandas to_sql (docs/benchmarks.md)
bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

## bench-empi: EMPI precision and recall against the generator's truth (docs/identity.md)
bench-empi: $(STAMP)
	$(BIN)/python benchmarks/bench_empi.py

## bench-incremental: an incremental night next to a full rebuild (docs/ehr.md)
bench-incremental: $(STAMP)
	$(BIN)/python benchmarks/bench_incremental.py

## bench-invocation: what a dbt invocation costs besides its model, A/B (docs/benchmarks.md)
bench-invocation: $(STAMP)
	$(BIN)/python benchmarks/bench_dbt_invocation.py

lint: $(STAMP)
	$(BIN)/ruff check src tests dags benchmarks

clean:
	-$(BIN)/chw db stop
	rm -rf .chw dbt_project/target dbt_project/logs
