# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint format sandbox clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) ## run every job once against the sandbox, with a temporary SQLite store
	$(BIN)/bookrelay demo

test: $(STAMP) ## format check, lint, types, tests on SQLite and PostgreSQL, coverage
	$(BIN)/python scripts/check.py

lint: $(STAMP)
	$(BIN)/ruff format --check bookrelay tests benchmarks scripts
	$(BIN)/ruff check bookrelay tests benchmarks scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bookrelay tests benchmarks scripts
	$(BIN)/ruff check --fix bookrelay tests benchmarks scripts

sandbox: $(STAMP) ## serve the fakes on 127.0.0.1:8765
	$(BIN)/bookrelay sandbox serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
