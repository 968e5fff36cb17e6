# The two set-up commands of the README: `make run` (the app on SQLite with demo data) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
PG_BIN := /usr/lib/postgresql/15/bin

.PHONY: run test lint frontend lock postgres browser haproxy cluster messages

# exactly the versions and files of requirements.lock (hashes checked), then the project itself
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

# after changing the dependencies in pyproject.toml: pin them again (every file's hash included)
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --quiet -o requirements.lock

# after adding or changing texts: extract them into locales/messages.pot and the catalogues (then translate the new
# entries of locales/*/LC_MESSAGES/messages.po; tests/services/infrastructure/test_i18n.py fails while one is missing)
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k t -k tn:1,2 --no-location --sort-output --omit-header --no-wrap -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-pot-creation-date --no-wrap

run: $(STAMP)
	$(PY) main.py

postgres:
	@test -x $(PG_BIN)/initdb || (apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null)

# Debian's HAProxy: the load balancer in front of several app processes (make cluster, tests/test_cluster.py)
haproxy:
	@test -x /usr/sbin/haproxy || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null)

# three app processes behind HAProxy on one PostgreSQL (BALANCES_DB_URL, or a throwaway one): docs/DEPLOY.md
cluster: $(STAMP) postgres haproxy
	$(PY) scripts/cluster.py --processes 3

# Debian's Chromium and its driver, and the axe-core accessibility engine the browser tests inject (package-lock.json)
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
	@$(MAKE) --no-print-directory node_modules

# the browser side's tools, locked in package-lock.json: Biome (lint, format), TypeScript (types), axe-core
node_modules: package.json package-lock.json
	@test -x node_modules/.bin/biome -a -x node_modules/.bin/tsc -a -f node_modules/axe-core/axe.min.js \
		-a node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund --silent

# the page's JavaScript held to the Python's standard: linted and formatted, type-checked, unit-tested
frontend: node_modules
	npm run --silent lint
	npm run --silent types
	npm run --silent test

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# The PostgreSQL lane starts its own throwaway cluster (tests/pg_cluster.py) and stops it at the end;
# the browser tests drive Debian's Chromium, installed here when it is missing.
test: $(STAMP) postgres browser haproxy lint frontend
	$(PY) -m pytest
	@echo 'Coverage of services/ (the floor is 90 %):'
	$(PY) -m coverage report --include='services/*' --skip-covered --fail-under=90
