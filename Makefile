# The README's two commands are `make run` and `make test`; everything else is for operators and benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ALLIANCE_HOME ?= $(CURDIR)/var

.PHONY: run test browser messages screenshots lint typecheck bench-match bench-hash bench-robustness bench-api bench-trust bench-abuse bench-deconflict bench-import clean

ARGS ?=

$(BIN)/alliance: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/alliance
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/alliance  ## set up, load demo organisations, logins and banks into SQLite, serve the node
	$(BIN)/alliance serve --demo

test: $(VENV)/.test-extras  ## set up with test extras and run the whole suite
	$(BIN)/pytest

browser:  ## Debian's chromium for the browser tests (Playwright cannot download its own here)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

messages: $(VENV)/.test-extras  ## extract the web pages' msgids and merge them into each catalogue (then translate)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header --sort-output -o src/alliance/web/locales/messages.pot .
	$(BIN)/pybabel update -i src/alliance/web/locales/messages.pot -d src/alliance/web/locales --no-location --omit-header --ignore-obsolete

screenshots: $(VENV)/.test-extras browser  ## each role's home page at 1280 px into docs/screenshots/
	ALLIANCE_SCREENSHOTS=1 $(BIN)/pytest -q tests/web/test_screenshots.py

lint: $(VENV)/.test-extras
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/lint-imports  # the layers' contracts, in pyproject.toml

typecheck: $(VENV)/.test-extras
	$(BIN)/mypy

$(VENV)/.bench-extras: $(BIN)/alliance
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

bench-match: $(VENV)/.bench-extras  ## PDQ index engines side by side (ARGS=--quick for a one-minute run)
	$(BIN)/python bench/match.py $(ARGS)

bench-hash: $(VENV)/.bench-extras  ## hashing speed and distance to the reference PDQ (ARGS=--quick for a 30 s run)
	$(BIN)/python bench/hash.py $(ARGS)

bench-robustness: $(VENV)/.bench-extras  ## which altered copies still match, per query strategy (ARGS=--quick)
	$(BIN)/python bench/robustness.py $(ARGS)

bench-api: $(VENV)/.bench-extras  ## HTTP match and upload throughput with 64 clients (needs wrk; ARGS=--quick)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/api.py $(ARGS)

bench-trust: $(VENV)/.bench-extras  ## what the trust checks cost in the match path (ARGS=--quick)
	$(BIN)/python bench/trust.py $(ARGS)

bench-import: $(VENV)/.bench-extras  ## hash-list import and export: lines/s and peak memory, 1M and 5M lines (ARGS=--quick)
	$(BIN)/python bench/import_export.py $(ARGS)

bench-abuse: $(VENV)/.bench-extras  ## another caller's match latency under login, anonymous and big-body floods (needs wrk; ARGS=--quick)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/abuse.py $(ARGS)

bench-deconflict: $(VENV)/.bench-extras  ## a 10^6-item case against 10^7 bank entries and 10^5 series, one core (ARGS=--quick)
	$(BIN)/python bench/deconflict.py $(ARGS)

clean:
	rm -rf $(VENV) var
