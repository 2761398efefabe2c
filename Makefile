# The only commands a newcomer needs: make run, make test (and make lint, make bench).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench bench-imports clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime dependencies, reinstalled when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# Test dependencies on top.
$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
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

# make bench: its own virtualenvs, one for ours (+ the ceiling, Playwright), one for Isso.
BENCH_VENV := benchmarks/.venv-ours
ISSO_VENV  := benchmarks/.venv-isso

$(BENCH_VENV)/.installed: pyproject.toml benchmarks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --upgrade pip
	$(BENCH_VENV)/bin/pip install -q -e . -r benchmarks/requirements.txt
	touch $@

$(ISSO_VENV)/.installed: benchmarks/requirements-isso.txt
	$(PYTHON) -m venv $(ISSO_VENV)
	$(ISSO_VENV)/bin/pip install -q --upgrade pip
	$(ISSO_VENV)/bin/pip install -q -r benchmarks/requirements-isso.txt
	touch $@

## make bench: seed data, measure ours beside Isso 0.14.0 and a Flask ceiling, print the table
## (BENCH_ARGS="--rounds 1 --tiny" for a smoke run; COMMENTS_BENCH_POSTGRES_URL adds PostgreSQL)
bench: $(BENCH_VENV)/.installed $(ISSO_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks.run $(BENCH_ARGS)

## make bench-imports: only the import rows (32,000 WordPress comments, then again); a
## minute or two, no servers (BENCH_ARGS="--tiny" imports 2,000)
bench-imports: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks.run --imports-only $(BENCH_ARGS)

## make messages: extract the server's strings into the .pot and merge them into every
## .po (comments_service/translations/; tests/test_translations.py checks both)
POT := comments_service/translations/messages.pot
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k tr:2 \
	  --add-comments=TRANSLATORS: --sort-by-file --no-wrap --omit-header -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d comments_service/translations --no-wrap \
	  --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
