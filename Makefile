# wfm — every set-up step lives here; nothing is installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= configs/example.yaml
OUT    ?= out

.PHONY: run test lint bench sample docs clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever the package metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed

## make run: set up and run the weekly pipeline on the bundled example
run: $(VENV)/.installed
	$(BIN)/wfm run --config $(CONFIG) --out-dir $(OUT)

## make test: the whole test suite (CI calls exactly this). The report's browser test needs
## Debian's chromium; it is installed when missing and apt can, else that test skips and says why.
test: $(VENV)/.installed-test
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
	  && echo "installed chromium for the report's browser test" \
	  || echo "chromium could not be installed: the report's browser test will skip"; }
	$(BIN)/python -m pytest -q

## make lint: ruff and mypy
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/mypy
	$(BIN)/python docs/gen_cli.py --check

## make sample: regenerate the bundled sample data (seeded, reproducible)
sample: $(VENV)/.installed
	$(BIN)/wfm sample --out-dir data/sample --seed 7 --start 2024-11-25 --weeks 106

## make bench: benchmarks (real data from ../shared when present)
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[bench]"
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	@for f in benchmarks/*.py; do [ -e "$$f" ] || continue; echo "== $$f"; \
		$(BIN)/python $$f || exit 1; done

## make docs: regenerate the CLI reference pages from --help
docs: $(VENV)/.installed
	$(BIN)/python docs/gen_cli.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
