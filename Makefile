# toolkit: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench bench-oq install clean

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

## run: install, load the demo data once, then serve the OpenQuake WebAPI (/v1) and the
## Lizard API (/api/v4) on http://127.0.0.1:8800 and the Voila apps on http://127.0.0.1:8866;
## prints both URLs; Ctrl-C stops both
run: install
	$(BIN)/python -m toolkit.launcher

## test: install with test extras and run every test; the browser tests need Debian's
## chromium, installed here with apt-get when missing and running as root (they skip otherwise,
## or fail under TOOLKIT_REQUIRE_BROWSER=1)
test: install
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium for the browser tests (apt-get) ..."; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium >/dev/null; } || \
				echo "could not install chromium: the browser tests will skip (or fail under TOOLKIT_REQUIRE_BROWSER=1)"; \
		else \
			echo "the browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'"; \
			echo "(Debian; elsewhere put chromium or google-chrome on the PATH); without it they skip"; \
		fi; \
	fi
	$(BIN)/python -m pytest -n auto --dist loadgroup -q

lint: install
	$(BIN)/ruff check toolkit tests benchmarks

## bench: run the benchmarks and write benchmarks/results/*.json (OpenQuake side by side only
## if it is already installed; none needed)
bench: install
	$(BIN)/python benchmarks/run_all.py

## bench-oq: install OpenQuake 3.26.2 into its own venv outside the repository when missing
## (benchmarks/install_openquake.sh; OQ_VENV, default ../oq-venv or $$TOOLKIT_OQ_VENV), then
## run the side-by-side benchmarks (side_by_side.py: every job, repeated; then classical,
## ground-motion fields, event-based risk)
OQ_VENV ?= $(or $(TOOLKIT_OQ_VENV),$(abspath ../oq-venv))
bench-oq: install
	@[ -x "$(abspath $(OQ_VENV))/bin/oq" ] || \
		bash benchmarks/install_openquake.sh "$(abspath $(OQ_VENV))"
	cd benchmarks && for b in side_by_side.py classical.py gmf.py risk.py; do \
		TOOLKIT_OQ_VENV="$(abspath $(OQ_VENV))" ../$(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
