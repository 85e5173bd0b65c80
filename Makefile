# 共建 Gongjian — developer commands. `make` (or `make help`) lists them.
#
# Configuration comes from the environment (see .env.example); DATABASE_URL is passed
# through untouched, so `DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongjian make test`
# runs the suite on PostgreSQL, and plain `make test` on SQLite.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY = $(VENV)/bin/python
# Interpreter used to create the venv: python3.11 if there is one, else python3.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
# Two cores on these machines: two pytest-xdist workers by default.
PYTEST_ARGS ?= -n 2
RUNSERVER_ADDR ?= 127.0.0.1:8000

# Only for `make deploycheck`: long and varied enough for check --deploy, never used to serve.
DEPLOYCHECK_SECRET_KEY = deploycheck-6fQ2xK9mLp4vR8sT1wZ3bN7cH0jD5gYu-Aq8eWz3Vt
# As an operator sets them: a cache all workers share, an SMTP server for e-mail and an SMS
# gateway for the residents' one-time codes.
DEPLOYCHECK_ENV = DEBUG=0 SECRET_KEY='$(DEPLOYCHECK_SECRET_KEY)' ALLOWED_HOSTS=example.org \
	CACHE_URL=redis://127.0.0.1:6379/1 EMAIL_URL=smtp://gongjian@127.0.0.1:25 \
	SMS_BACKEND=residents.sms.HttpSmsBackend SMS_GATEWAY_URL=https://sms.example.org/send

STAMP = $(VENV)/.installed
REQUIREMENTS = $(wildcard requirements*.txt)

.PHONY: help venv install messages makemessages migrate demo run test lint format checkmigrations \
	deploycheck collectstatic serve bench bench-summary bench-subdistrict vendor backup restore clean distclean

help: ## List the commands
	@echo "共建 Gongjian — make targets (VENV=$(VENV), PYTEST_ARGS='$(PYTEST_ARGS)'):"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- environment -----------------------------------------------------------------------

$(VENV)/pyvenv.cfg:
	@test -n "$(PYTHON)" || { echo "error: neither python3.11 nor python3 found on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

venv: $(VENV)/pyvenv.cfg ## Create the virtualenv with python3.11 (or python3)

# Reinstalls only when a requirements*.txt is newer than the stamp.
$(STAMP): $(VENV)/pyvenv.cfg $(REQUIREMENTS)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(STAMP) ## Install requirements-dev.txt into the venv (no-op when up to date)

# --- translations ----------------------------------------------------------------------

define need_msgfmt
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "error: msgfmt (GNU gettext) is missing; install it with: apt-get install gettext" >&2; \
	  exit 1; }
endef

messages: install ## Compile translations (.po -> .mo)
	$(need_msgfmt)
	$(PY) manage.py compilemessages --ignore=.venv

makemessages: install ## Extract strings into locale/{zh_Hans,en}/LC_MESSAGES/django.po
	$(need_msgfmt)
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules

# --- database and local server ---------------------------------------------------------

migrate: install messages ## Apply migrations (SQLite db.sqlite3 unless DATABASE_URL is set)
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo community (idempotent)
	DEBUG=1 $(PY) manage.py load_demo

# The background worker (large imports, jobs/) runs beside the server and stops with it.
run: demo ## Everything, then serve on http://127.0.0.1:8000 with the background worker
	DEBUG=1 $(PY) manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	DEBUG=1 $(PY) manage.py runserver $(RUNSERVER_ADDR)

# --- checks ----------------------------------------------------------------------------

test: install messages ## Run the test suite (pytest, PYTEST_ARGS default -n 2; DATABASE_URL respected)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install ## ruff check, ruff format --check, and the import layers (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install ## ruff format and ruff check --fix (what `make lint` checks)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

checkmigrations: install ## Fail if models changed without a migration
	$(PY) manage.py makemigrations --check --dry-run

deploycheck: install ## manage.py check --deploy with production-like settings
	$(DEPLOYCHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

collectstatic: install ## collectstatic with production settings (DEBUG=0, manifest storage)
	$(DEPLOYCHECK_ENV) $(PY) manage.py collectstatic --noinput -v0

serve: install messages ## gunicorn and the background worker with production settings (DEBUG=0; SECRET_KEY, ALLOWED_HOSTS... from the environment or .env)
	@test -n "$$SECRET_KEY" || grep -qs '^SECRET_KEY=' .env || { \
	  echo "error: set SECRET_KEY (and ALLOWED_HOSTS, CACHE_URL, DATABASE_URL) in the environment or .env" >&2; \
	  exit 1; }
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 $(PY) manage.py collectstatic --noinput -v0
	DEBUG=0 $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	DEBUG=0 $(VENV)/bin/gunicorn -c config/gunicorn.conf.py

bench: install messages ## HTTP benchmark: S and L in PostgreSQL, gunicorn, wrk (QUICK=1: S only, short; BENCH_ARGS=...)
	@command -v wrk >/dev/null 2>&1 || { echo "error: wrk is missing; install it with: apt-get install wrk" >&2; exit 1; }
	$(PY) bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)

bench-summary: install ## The monthly summary's benchmark (bench/summary.py) on the database in DATABASE_URL
	$(PY) bench/summary.py

bench-subdistrict: install ## The subdistrict summary's benchmark (bench/subdistrict_summary.py) on the database in DATABASE_URL
	$(PY) bench/subdistrict_summary.py

vendor: ## Re-vendor Bootstrap and Chart.js into static/vendor/ from npm
	scripts/vendor-static.sh

# --- backups ---------------------------------------------------------------------------

backup: install ## Back up the database (pg_dump -Fc / SQLite backup) and MEDIA_ROOT into backups/
	$(PY) manage.py backup $(if $(BACKUP),--output $(BACKUP))

restore: install ## Restore a backup: make restore BACKUP=backups/gongjian-….dump (replaces all rows)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/gongjian-YYYYmmdd-HHMMSS.dump" >&2; exit 1; }
	$(PY) manage.py restore --yes $(BACKUP)

# --- housekeeping ----------------------------------------------------------------------

clean: ## Remove caches, compiled translations, collected static files, test output
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0r rm -rf
	find . -path ./$(VENV) -prune -o -type f -name '*.mo' -print0 | xargs -0r rm -f
	rm -rf .pytest_cache .ruff_cache staticfiles test-results

distclean: clean ## clean, and also remove the venv and the SQLite database
	rm -rf $(VENV) db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm
