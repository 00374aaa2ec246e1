# Guanxi's entry points. `make run` serves the embedded default on http://127.0.0.1:8000;
# `make test` runs the whole suite on SQLite and on PostgreSQL. See docs/development.md.
#
# Every setup step is guarded by a stamp file, so a second `make run` only starts the server:
#   .venv/.installed            requirements.lock and pyproject.toml installed into .venv
#   guanxi/static/vendor/.installed   package-lock.json installed and copied to static files
#   var/.messages               the .po catalogues compiled to .mo

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
MANAGE := $(PY) manage.py
PYTEST := $(PY) -m pytest -p no:cacheprovider
HOST ?= 127.0.0.1
PORT ?= 8000
# The first Python >= 3.11 on PATH (the lock file is compiled for 3.11).
PYTHON ?= $(firstword $(foreach p,python3.11 python3.12 python3.13 python3,$(shell command -v $(p) 2>/dev/null)))
PG_URL ?= postgres://postgres@127.0.0.1:5432/guanxi
PG_HOST := 127.0.0.1
PG_PORT := 5432

PY_STAMP := $(VENV)/.installed
ASSETS_STAMP := guanxi/static/vendor/.installed
MESSAGES_STAMP := var/.messages
PO_FILES := $(wildcard guanxi/locale/*/LC_MESSAGES/*.po guanxi/*/locale/*/LC_MESSAGES/*.po)
JS_SOURCES := $(wildcard guanxi/static/guanxi/*.js)

.PHONY: help run install assets messages compilemessages migrate bootstrap test test-sqlite \
	test-postgres postgres lint format bench clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# --- setup ------------------------------------------------------------------------------------

$(PY):
	@test -n "$(PYTHON)" || { echo "Guanxi needs Python >= 3.11: none found on PATH." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Guanxi needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): requirements.lock pyproject.toml | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	@touch $@

install: $(PY_STAMP) ## create .venv and install the locked Python packages

$(ASSETS_STAMP): package-lock.json package.json scripts/install_assets.py
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/install_assets.py
	@touch $@

assets: $(ASSETS_STAMP) ## install htmx, ECharts, Bootstrap, icons and fonts into guanxi/static/vendor/

$(MESSAGES_STAMP): $(PO_FILES) | $(PY_STAMP)
	@if [ -n "$(PO_FILES)" ]; then \
		if ! command -v msgfmt >/dev/null; then \
			if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
				echo "msgfmt is missing: installing Debian's gettext"; \
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null \
				|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null; }; \
			else \
				echo "msgfmt is missing: install GNU gettext (Debian: sudo apt-get install gettext)." >&2; exit 1; \
			fi; \
		fi; \
		$(MANAGE) compilemessages --ignore=node_modules --ignore=.venv -v 0; \
	fi
	@mkdir -p $(@D) && touch $@

compilemessages: $(MESSAGES_STAMP) ## compile the .po catalogues (needs gettext's msgfmt)

messages: $(PY_STAMP) ## extract translatable strings into guanxi/locale/zh_Hans
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore=node_modules --ignore=var \
		--ignore=bench --ignore=tests --ignore='*/tests/*' --ignore=scripts --ignore=guanxi/static/vendor
	@if [ -n "$(JS_SOURCES)" ]; then \
		$(MANAGE) makemessages -d djangojs -l zh_Hans --no-obsolete --ignore=node_modules \
			--ignore=var --ignore=.venv --ignore=guanxi/static/vendor --ignore='var/*'; \
	fi

migrate: $(PY_STAMP) ## apply database migrations
	$(MANAGE) migrate

bootstrap: $(PY_STAMP) ## migrate; on a new database also load the demo data and create admin
	$(MANAGE) bootstrap

# `serve` is `bootstrap` then `runserver --noreload` in one process (one Django start-up).
run: $(PY_STAMP) $(ASSETS_STAMP) $(MESSAGES_STAMP) ## set up what is missing and serve on HOST:PORT
	$(MANAGE) serve $(HOST):$(PORT)

# --- quality ----------------------------------------------------------------------------------

postgres: ## start the local PostgreSQL when it is down
	@if ! $(PY) -c 'import socket; socket.create_connection(("$(PG_HOST)", $(PG_PORT)), 1)' 2>/dev/null; then \
		if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
			echo "starting PostgreSQL"; \
			pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start; \
		else \
			echo "PostgreSQL is not listening on $(PG_HOST):$(PG_PORT) and pg_ctlcluster is missing." >&2; exit 1; \
		fi; \
	fi

# WhiteNoise warns on every request of every test while collectstatic's folder is missing.
var/static:
	@mkdir -p $@

test-sqlite: $(PY_STAMP) $(ASSETS_STAMP) $(MESSAGES_STAMP) | var/static ## the whole suite on SQLite
	$(PYTEST) --durations=10 $(PYTEST_ARGS)

test-postgres: $(PY_STAMP) $(ASSETS_STAMP) $(MESSAGES_STAMP) postgres | var/static ## the whole suite on PostgreSQL
	DATABASE_URL=$(PG_URL) $(PYTEST) --durations=10 $(PYTEST_ARGS)

# The two runs go side by side (one per core) and both always finish, so a failure on one does
# not hide the other's results; either failing fails `make test`. Each run's output is kept in
# var/test-<db>.log and printed whole when both are done. The pure numeric analytics tests
# touch no database, so the PostgreSQL run leaves them to the SQLite run.
test: $(PY_STAMP) $(ASSETS_STAMP) $(MESSAGES_STAMP) postgres ## the whole suite on SQLite and on PostgreSQL
	@mkdir -p var/static; \
	$(MAKE) --no-print-directory test-sqlite > var/test-sqlite.log 2>&1 & sqlite=$$!; \
	$(MAKE) --no-print-directory test-postgres PYTEST_ARGS="--ignore=guanxi/analytics $(PYTEST_ARGS)" \
		> var/test-postgres.log 2>&1 & postgres=$$!; \
	status=0; wait $$sqlite || status=1; wait $$postgres || status=1; \
	echo "=== pytest on SQLite ==="; cat var/test-sqlite.log; \
	echo "=== pytest on PostgreSQL ($(PG_URL)) ==="; cat var/test-postgres.log; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)" >&2; fi; \
	exit $$status

# The format check covers Python sources: not migrations (written by makemigrations, reviewed
# as generated) and not the code samples in docs/*.md.
lint: $(PY_STAMP) ## ruff, formatting, missing migrations and the zh-Hans catalogue
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --extend-exclude '*.md' --extend-exclude '**/migrations/*.py' .
	$(MANAGE) makemigrations --check --dry-run
	$(PY) scripts/check_translations.py

format: $(PY_STAMP) ## fix what ruff can fix and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(PY_STAMP) ## run the benchmarks in bench/ (not part of make test)
	@for script in bench/*.py; do echo "=== $$script"; $(PY) $$script; done

# --- cleaning ---------------------------------------------------------------------------------

clean: ## remove installed assets, collected static files, test leftovers and caches (keeps .venv and the database)
	rm -rf node_modules guanxi/static/vendor guanxi/static/vendor.new var/static $(MESSAGES_STAMP)
	rm -f var/test-*.sqlite3*
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove .venv and var/ (the database, its secret key and mail)
	rm -rf $(VENV) var
