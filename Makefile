# The two commands of the README: `make demo` and `make test`.
# Each creates .venv inside this checkout with Python 3.11 on first use and installs what
# setup.cfg declares into it: never an environment from outside the checkout.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

$(BIN)/python:
	$(PYTHON) -m venv --clear $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip > /dev/null 2>&1 || $(BIN)/python -m pip install --upgrade pip

# pip's and setuptools' notes go to a log, shown only if the install fails: the first thing
# `make demo` prints is the toolkit's own output.
$(VENV)/.installed-demo: $(BIN)/python setup.cfg pyproject.toml
	@echo "Installing lstm-toolkit[cpu] into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/python -m pip install --quiet -e ".[cpu]" > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	@echo "Installing lstm-toolkit[cpu,test] into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/python -m pip install --quiet -e ".[cpu,test]" > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/lstm-toolkit demo

test: $(VENV)/.installed-test
# -I: no PYTHONPATH, user site-packages or start-up file from the shell; two workers that take over
# each other's queue when idle (the long tests go first, see tests/conftest.py).
	$(BIN)/python -I -m pytest -n 2 --dist worksteal --durations=25

clean:
	rm -rf $(VENV) build *.egg-info
