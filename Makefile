# The only commands a newcomer needs: make run, make test (and make lint, make bench).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime dependencies, reinstalled when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# Test dependencies on top.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

## make run: start the service with embedded defaults on http://127.0.0.1:8080 (demo: /demo)
run: $(VENV)/.installed-run
	$(BIN)/comments-service serve

# The widget's browser tests drive Debian's chromium (Playwright cannot download browsers
# here). Installed once, as root, when missing.
/usr/bin/chromium:
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

## make test: install test needs, then run every test (PostgreSQL/Redis ones when their URL is set)
test: $(VENV)/.installed-test /usr/bin/chromium
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check comments_service tests benchmarks

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
