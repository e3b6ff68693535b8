# toolkit: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench install clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "toolkit needs Python >= 3.11; set PYTHON=python3.11 (make PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## run: install, load the demo calculations once, and serve the OpenQuake WebAPI on
## http://127.0.0.1:8800 (API docs at /docs); later also the Voila app
run: install
	$(BIN)/toolkit serve --demo

## test: install with test extras and run every test
test: install
	$(BIN)/python -m pytest -n auto -q

lint: install
	$(BIN)/ruff check toolkit tests benchmarks

## bench: run the benchmarks and write benchmarks/results/*.json
bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
