# The two commands a fresh machine needs are `make demo` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DATABASE_URL ?= sqlite+aiosqlite:///var/civicbot.sqlite3

.PHONY: install demo test lint i18n bench clean

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

## Install and run the whole test suite (SQLite and PostgreSQL; starts PostgreSQL if it is down).
test: install
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

## Extract strings and update the five catalogs (then translate what is new; `make test` checks it).
i18n: install
	$(BIN)/python scripts/i18n.py

bench: install
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) var build *.egg-info
