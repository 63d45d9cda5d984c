# Every target makes its own virtual environment when missing, so a fresh
# clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-tools dist clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,lint]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The wheel and sdist a pipeline installs (BLUEGREEN_PACKAGE; docs/gitlab.md).
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# What `make bench` compares with (Debian packages, root); `make test` needs none of it.
bench-tools:
	apt-get update -qq && apt-get install -y -qq haproxy wrk nginx-light

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist
