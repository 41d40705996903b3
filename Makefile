# The two commands of the README: `make demo` and `make test`.
# Each creates .venv inside this checkout with Python 3.11 on first use and installs what
# setup.cfg declares into it: never an environment from outside the checkout.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

$(BIN)/python:
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[cpu]"
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[cpu,test]"
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/lstm-toolkit demo

test: $(VENV)/.installed-test
# -I: no PYTHONPATH, user site-packages or start-up file from the shell; two workers that take over
# each other's queue when idle (the long tests go first, see tests/conftest.py).
	$(BIN)/python -I -m pytest -n 2 --dist worksteal --durations=25

clean:
	rm -rf $(VENV) build *.egg-info
