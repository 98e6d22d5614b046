# The README's two commands: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
WORKERS ?= 2
STAMP  := $(VENV)/.installed

.PHONY: run test lint install translations compile-translations bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

compile-translations: $(STAMP)
	$(BIN)/pybabel -q compile -d blood/translations

## Serve on http://127.0.0.1:$(PORT) with the embedded SQLite database and demo data, and run
## the scheduler beside it (the Procfile's two processes, under honcho).
run: compile-translations
	$(BIN)/python -m blood.instance_setup
	BLOOD_ENV=$${BLOOD_ENV:-development} $(BIN)/flask --app app db upgrade
	BLOOD_ENV=$${BLOOD_ENV:-development} $(BIN)/flask --app app blood demo --if-empty \
		--push-url http://127.0.0.1:$(PORT)/api/v1/supervision/inbound
	BLOOD_ENV=$${BLOOD_ENV:-development} PATH="$(abspath $(BIN)):$$PATH" PORT=$(PORT) \
		WORKERS=$(WORKERS) exec $(BIN)/honcho start --no-colour -f Procfile -p $(PORT)

## Debian's Chromium for the browser tests (never a browser download).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk

## Lint, check the architecture contracts, then the whole suite (also on PostgreSQL when BLOOD_TEST_DATABASE_URL is set).
test: compile-translations $(CHROMIUM)
	test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

## Re-extract messages and merge them into the zh_CN catalogue (then translate the new ones).
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F blood/translations/babel.cfg -k _l -k lazy_gettext \
		-o blood/translations/messages.pot .
	$(BIN)/pybabel -q update -i blood/translations/messages.pot -d blood/translations

## Benchmarks (not tests: figures to compare between runs on one machine). The HTTP section
## needs PostgreSQL (BLOOD_BENCH_DATABASE_URL) and wrk (Debian's package).
WRK := /usr/bin/wrk
$(WRK):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk

bench: compile-translations $(WRK)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
