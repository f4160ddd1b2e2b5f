# The two commands of the README's quick start, each self-contained on a fresh machine
# with Python 3.11: `make report` and `make test`. Both create .venv/ on first use and
# install the package with the pinned versions in constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The built-in engine (pandoc + Typst) is the reproducible default; `make report ENGINE=auto`
# uses Quarto when it is installed.
ENGINE ?= builtin
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test bench check clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11")'
	@echo "Installing into $(VENV) (first run: about 2 min and 0.9 GB; pip prints nothing meanwhile)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "$(VENV) has an older Python: remove it and run make again")'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

## Render report.qmd to HTML, PDF and Word in _output/ from the bundled data.
report: $(STAMP)
	$(BIN)/sbm-stats render report.qmd --to html,pdf,docx --out _output/ --engine $(ENGINE)

# Test workers (pytest-xdist): two more than the cores, as the tests spend about half their
# time waiting for kernels to start and stop, pandoc, Typst, Chromium and the preview's
# timers (a small render: 0.7 s, 0.35 s of it on a core); at most 8 (each worker and its
# kernels take some 0.5 GB); `make test TEST_WORKERS=0` runs in this process.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(min((os.cpu_count() or 1) + 2, 8))')

## Lint (ruff: errors, import order, complexity, line length), then the whole test suite
## (unit tests, doctests, fixture renders, notebooks, browser tests), on every core: a
## module's module-scoped fixture stays on one worker and report.qmd is rendered once per
## run (tests/conftest.py, tests/_renders.py).
## Python keeps its compiled modules (__pycache__/, ignored by git) even where the environment
## says not to (PYTHONDONTWRITEBYTECODE=1): each worker compiled and rewrote every test
## module again, 5.4 s of processor time instead of 3.1 s, and each kernel the package.
test: $(STAMP)
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

## Validate data/ against data/datapackage.json.
check: $(STAMP)
	$(BIN)/sbm-stats data check

## Benchmarks against the peers named in the issues (installs the bench extra).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(BIN)/python -m benchmarks

## Remove what renders and tests leave in the checkout (_output/, test caches); .venv/ stays.
clean:
	rm -rf _output .pytest_cache .hypothesis
