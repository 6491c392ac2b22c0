# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install pango bench-deps migrate demo lint typecheck messages clean node-deps

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rasad needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || $(MAKE) --no-print-directory pango
	touch $(STAMP)

# Pango, which WeasyPrint (the PDF reports) lays text out with: Debian's packages, when
# the machine lacks them.
pango:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Pango for the PDF reports (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	else \
	  echo "The PDF reports need Pango: install libpango-1.0-0 and libpangoft2-1.0-0 (Debian/Ubuntu) or pango (Fedora, Homebrew)"; exit 1; \
	fi

install: $(STAMP)

# The page-speed benchmark's load generator (locust), kept out of the test install.
bench-deps: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'

migrate: install
	$(BIN)/rasad manage migrate --noinput

demo: migrate
	$(BIN)/rasad demo load --if-empty

# The web server and, beside it, one background worker (edition computations, large
# imports); Ctrl+C stops both.
run: demo
	@echo "Open http://$(HOST):$(PORT)/"
	$(BIN)/rasad worker --quiet & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	RASAD_SHOW_DEMO_LOGINS=1 $(BIN)/rasad serve --host $(HOST) --port $(PORT)

# axe-core (package.json, pinned in package-lock.json), which the browser tests inject into
# pages to check their accessibility; without npm those tests skip (and fail under CI).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm is missing: the accessibility tests (axe-core) will skip"; fi

node-deps: node_modules/axe-core/axe.min.js

# The whole suite, then what it covers: each module below 100%, least covered first.
test: install node-deps
	$(BIN)/pytest --cov --cov-report=term:skip-covered

# ruff's rules (line length included), its formatting, and mypy on the analytical core
lint: typecheck
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# mypy on the analytical core (rasad.index, monitor, clusters, iran, intake; pyproject.toml)
typecheck: install
	$(BIN)/mypy

# Refresh the Persian catalogue after changing user-facing strings (needs GNU gettext).
messages: install
	cd src/rasad/platform && ../../../$(BIN)/django-admin makemessages -l fa --no-obsolete --settings=rasad.platform.settings
	cd src/rasad/platform && ../../../$(BIN)/django-admin compilemessages -l fa --settings=rasad.platform.settings

clean:
	rm -rf $(VENV) var .pytest_cache
