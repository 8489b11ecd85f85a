# The two commands a fresh machine needs are `make demo` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DATABASE_URL ?= sqlite+aiosqlite:///var/civicbot.sqlite3

.PHONY: install demo test test-fast lint i18n bench clean

$(BIN)/civicbot: pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/civicbot

## Install, migrate the embedded SQLite database, seed the pilot municipalities and run the service.
demo: install
	$(BIN)/civicbot db upgrade
	$(BIN)/civicbot seed
	$(BIN)/civicbot demo-data
	$(BIN)/civicbot serve

## Install and run the whole test suite (SQLite and PostgreSQL; starts PostgreSQL if it is down), on
## TEST_WORKERS processes, the 15 slowest listed at the end; pytest's "no tests ran" (5) is not a failure.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal
test: install
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(PYTEST) --durations=15 $(PYTEST_ARGS); code=$$?; [ $$code -ne 5 ] || { echo "pytest: no tests ran"; code=0; }; exit $$code

## The inner loop: everything but the end-to-end and the PostgreSQL tests.
test-fast: install
	$(PYTEST) -m "not slow and not postgres" $(PYTEST_ARGS)

## What CI checks before the tests: ruff, the format, mypy strict, and the layering contracts of DESIGN.md
## (import-linter, [tool.importlinter] in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Extract strings and update the five catalogs (then translate what is new; `make test` checks it).
i18n: install
	$(BIN)/python scripts/i18n.py

bench: install
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) var build *.egg-info
