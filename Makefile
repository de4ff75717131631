# Two commands on a fresh machine:  make lab  (set up, open the course)  and  make test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What a learner needs (the course and JupyterLab), and that plus the test tools (the dev extra).
LAB_STAMP := $(VENV)/.lab-installed
STAMP := $(VENV)/.installed
# Where it exists, the suite runs with loopback as the only network, to prove offline mode.
NONET := $(shell [ -x ../shared/tools/nonet ] && echo ../shared/tools/nonet)
# JupyterLab refuses to start as root unless told to, and many containers run as root.
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# pip installs (into the venv whose python is named). UV=path/to/uv installs the same with uv
# instead, faster (.ci/run does: both venvs, bytecode compiled, pip 61-72 s and uv 35 s here).
UV ?=
install = $(if $(UV),$(UV) pip install --quiet --python $(1),$(1) -m pip install --quiet)
# First the lessons, the browser test and the tests with no timing in them (doctests, layout,
# values, virtual-clock simulations...), on four test workers (two cores): the lessons mostly
# wait (for the fake's latency, for the browser; on a clean clone before 2026-12-07: 4 min 55 s
# on four workers, 6 min 9 s on three), and loadgroup keeps the lessons pinned to one busy core
# on one worker, one after the other, and the JupyterLab tests on another, with one server
# (loadgroup needs pytest<9.2: pyproject.toml says why). The type check (11 s of CPU) runs
# beside them.
# Then the tests that measure time, never beside a lesson, on three workers: the ones whose own
# work fills a core (pools, clusters: marked cpu_bound) one after another on one of them, the
# rest, which mostly wait, on the other two (on two workers this part left the CPU half idle:
# 218 s; so, 197 s with 16 more tests; on four or five, no faster: both cores are full). Each
# is built to hold beside the others (a margin a busy machine keeps; tests/conftest.py names the
# markers). Every part runs even if one before it fails, and make test fails if any did.
LONG_RUNS := -m "long_run or beside_lessons" -n 4 --dist loadgroup
TIMED := -m "not (long_run or beside_lessons)" -n 3 --dist loadgroup

.PHONY: setup lab test test-colab test-binder lint bench figures clean

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (google-genai 3.x requires it); set PY=python3.12 or similar."; exit 1; }
	$(PY) -m venv $(VENV)
	$(call install,$(BIN)/python) --upgrade pip

$(LAB_STAMP): pyproject.toml | $(BIN)/python
	$(call install,$(BIN)/python) -e ".[lab]"
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(call install,$(BIN)/python) -e ".[lab,dev]"
	touch $@

# Everything, test tools included (what test, lint and bench use).
setup: $(STAMP)

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab $(AS_ROOT) notebooks/

# Lint, type-check course_lib (mypy reads [tool.mypy] in pyproject.toml), then the suite, offline.
test: setup
	$(BIN)/ruff check course_lib tests bench scripts notebooks
	$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	  $(NONET) $(BIN)/python -m pytest $(LONG_RUNS); long_runs=$$?; \
	  wait $$mypy; typed=$$?; echo "mypy (run beside the tests above):"; cat $(VENV)/mypy.log; \
	  $(NONET) $(BIN)/python -m pytest $(TIMED); timed=$$?; \
	  [ $$long_runs = 0 ] && [ $$typed = 0 ] && [ $$timed = 0 ]

# Colab as it is (googlecolab/backend-info, August 2026): its Python where this machine has it
# (3.13; else the one above), the versions it ships, then what a lesson's setup cell adds there
# with %pip (the course, plotly>=6, anywidget: pip upgrades only what they need, so IPython 7.34,
# ipykernel 6.17.1, ipywidgets 7.7.1 and notebook 6.5.7 stay). Every lesson is tested there, in a
# venv of its own, each once: 01 and 02 live against a loopback stand-in (the main suite runs them
# offline), none pinned to a busy core; and the live timeline and a panel in the classic
# notebook, the closest page to Colab's that runs here.
# Five workers for nine lessons: measured 2 min 26 s, against 2 min 38 s on three.
COLAB := .venv-colab
COLAB_PY := $(or $(shell for py in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
  $$py -c '' 2>/dev/null && echo $$py && break; done),$(PY))
# One difference: widgetsnbextension (the classic page's widget code) is 3.6.6, not Colab's 3.6.10.
# Colab's page never loads it (it draws widgets with a manager of its own); the classic notebook
# here does, and from 3.6.7 on it cannot make an Output widget ("_deserialize_state is not a
# function"; seen here with 3.6.7-3.6.10, 3.6.6 works), which every ipywidgets 7 page would show.
COLAB_KEEPS := ipython==7.34.0 ipykernel==6.17.1 ipywidgets==7.7.1 widgetsnbextension==3.6.6 \
  notebook==6.5.7
COLAB_SHIPS := $(COLAB_KEEPS) plotly==5.24.1 anywidget==0.9.21 google-genai==2.12.1
$(COLAB)/.installed: pyproject.toml Makefile
	@[ "$(COLAB_PY)" != "$(PY)" ] || echo "no Python 3.13 here: the Colab-like venv uses $(PY)"
	$(COLAB_PY) -m venv $(COLAB)
	$(call install,$(COLAB)/bin/python) --upgrade pip
	$(call install,$(COLAB)/bin/python) $(COLAB_SHIPS)
	$(call install,$(COLAB)/bin/python) -e ".[dev]" "plotly>=6" anywidget $(COLAB_KEEPS)
	touch $@

# The lessons, the figures' checks and the classic page's browser test first, on five workers;
# then the live timeline's and panels' tests (they measure time), on two.
# (Colab's old jupyter_client warns of its own deprecations on Python 3.13: not ours to act on.)
COLAB_PYTEST := $(NONET) $(COLAB)/bin/python -m pytest -q -ra -o addopts="" \
  -W ignore::DeprecationWarning
test-colab: $(COLAB)/.installed
	$(COLAB_PYTEST) --colab -m "long_run or beside_lessons" -n 5 --dist loadgroup \
	  tests/test_notebooks.py tests/test_plots.py tests/browser/test_classic_notebook.py; \
	  long_runs=$$?; $(COLAB_PYTEST) --colab -n 2 tests/test_live_and_panels.py && exit $$long_runs

# Binder builds from environment.yml with conda (conda-forge, which this machine cannot reach):
# the same Python (environment.yml's pin), what repo2docker's base environment brings (JupyterLab
# 4.4, ipywidgets 8.1, ipykernel 7) and environment.yml's pip section (the course), with pip
# only; then the doctor checks that it runs there: the packages, memory, a pool, widgets, the
# fake.
BINDER := .venv-binder
BINDER_PY := $(shell sed -n 's/^ *- python=\([0-9.]*\).*/\1/p' environment.yml)
BINDER_BASE := "jupyterlab==4.4.*" "ipywidgets==8.1.*" "ipykernel>=7,<8"
$(BINDER)/.installed: pyproject.toml environment.yml Makefile
	$(or $(shell for py in python$(BINDER_PY) $$HOME/.pyenv/versions/$(BINDER_PY)*/bin/python$(BINDER_PY); \
	  do $$py -c '' 2>/dev/null && echo $$py && break; done),$(error no Python $(BINDER_PY), environment.yml's, here)) \
	  -m venv $(BINDER)
	$(call install,$(BINDER)/bin/python) --upgrade pip
	$(call install,$(BINDER)/bin/python) $(BINDER_BASE) \
	  $$(sed -n '/^ *- pip:/,$$p' environment.yml | tail -n +2 | sed -n 's/^ *- \(.*\)/\1/p')
	touch $@

test-binder: $(BINDER)/.installed
	$(NONET) $(BINDER)/bin/python -m course_lib doctor

lint: setup
	$(BIN)/ruff check course_lib tests bench scripts notebooks
	$(BIN)/ruff format --check course_lib tests bench scripts

bench: setup
	$(BIN)/python bench/against_sdk.py
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/fake_limits.py
	$(BIN)/python bench/limiter.py
	$(BIN)/python bench/simulator.py
	$(BIN)/python bench/cluster.py
	$(BIN)/python bench/live_overhead.py
	$(BIN)/python bench/lessons.py

# Each lesson's core pictures as PNGs in figures/, for a projector or a handout: every core path
# run alone, offline (scripts/figures.py; about 4 minutes; needs Chromium).
figures: setup
	$(NONET) $(BIN)/python scripts/figures.py

clean:
	rm -rf $(VENV) $(COLAB) $(BINDER) .venv-uv .pytest_cache .ruff_cache .mypy_cache
