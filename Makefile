# Quick start: `make demo` and `make test` each build .venv on first use.
# durable-rules builds on CPython 3.11 and 3.12 only; the first of these that exists is used.
PYTHON ?= $(shell for p in python3 python3.12 python3.11; do \
	if $$p -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null; then \
	echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: need CPython 3.11 or 3.12 (durable-rules fails on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dualcontrol rulesets
	$(BIN)/dualcontrol check examples/oscilloscope-to-germany.json --format text
	$(BIN)/dualcontrol check examples/listed-party-to-china.json --demo-lists --format text
	$(BIN)/dualcontrol check --batch examples/cases.jsonl

unit: $(STAMP)
	$(BIN)/python -m pytest -q

typecheck: $(STAMP)
	$(BIN)/python -m mypy

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks tools
	$(BIN)/python -m ruff format --check src tests benchmarks tools

test: unit typecheck lint

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
