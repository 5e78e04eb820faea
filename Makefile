# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run demo test lint bench bench-scale clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)  ## poll feeds.yaml into ./avtomon.db and extract facts (exit 1 = some feeds failed: not fatal)
	$(BIN)/avtomon ingest || [ $$? -eq 1 ]

demo: $(STAMP)  ## the same flow on sample feeds shipped in tests/data/demo (no internet)
	$(BIN)/avtomon --db sqlite:///demo.db --feeds tests/data/demo/feeds.yaml ingest

test: $(DEVSTAMP)  ## the whole suite (SQLite, and PostgreSQL at 127.0.0.1:5432)
	$(BIN)/ruff check avtomon tests bench
	$(BIN)/pytest -q

lint: $(DEVSTAMP)
	$(BIN)/ruff check avtomon tests bench

bench: $(DEVSTAMP)
	$(BIN)/python -m bench

bench-scale: $(DEVSTAMP)  ## stores of 100k and 1M articles on SQLite and PostgreSQL; writes bench/SCALE.md (about an hour)
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) *.egg-info demo.db
