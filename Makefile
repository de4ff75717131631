# Two commands on a fresh machine:  make lab  (set up, open the course)  and  make test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where it exists, the suite runs with loopback as the only network, to prove offline mode.
NONET := $(shell [ -x ../shared/tools/nonet ] && echo ../shared/tools/nonet)

.PHONY: setup lab test lint bench clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (google-genai 3.x requires it); set PY=python3.12 or similar."; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lab,dev]"
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab notebooks/

test: setup
	$(BIN)/ruff check course_lib tests bench
	$(NONET) $(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check course_lib tests bench
	$(BIN)/ruff format --check course_lib tests bench

bench: setup
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
