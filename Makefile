# The two set-up commands of the README: `make run` (the app on SQLite with demo data) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PG_BIN := /usr/lib/postgresql/15/bin

.PHONY: run test lint postgres browser

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(PY) main.py

postgres:
	@test -x $(PG_BIN)/initdb || (apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null)

browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The PostgreSQL lane starts its own throwaway cluster (tests/pg_cluster.py) and stops it at the end;
# the browser tests drive Debian's Chromium, installed here when it is missing.
test: $(STAMP) postgres browser lint
	$(PY) -m pytest
