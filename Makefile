# Nuanxin: `make demo` and `make test` are all a fresh machine needs (Python 3.11+).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# Unit, page and browser tests run on every core (pytest-xdist); the integration
# tests (real PostgreSQL, Redis and Celery workers, killed and restarted on
# purpose) run after them, one at a time.  INTEGRATION=no leaves them out.
TEST_WORKERS ?= auto
INTEGRATION ?= yes

.PHONY: venv demo test translations bench serve lock clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Nuanxin needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

translations: venv
	@$(BIN)/python manage.py compiletranslations

demo: venv translations
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py rundemo

test: venv translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not integration" $(PYTEST_ARGS)
ifneq ($(INTEGRATION),no)
	$(BIN)/python -m pytest -m integration $(PYTEST_ARGS)
endif

bench: venv
	$(BIN)/python -m bench

# Production-like: PostgreSQL + Redis (the local ones unless set), granian over TLS,
# two Celery workers and beat, DEBUG off, HTTPS settings on.
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/nuanxin
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
serve: venv translations
	DATABASE_URL="$${DATABASE_URL:-$(SERVE_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(SERVE_REDIS_URL)}" \
	  DEBUG=0 HTTPS=1 $(BIN)/python manage.py runserve

# Re-pin every dependency to the newest release the ranges in pyproject.toml allow.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet ".[dev]"
	.venv-lock/bin/python -m pip freeze --exclude nuanxin > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf var/ build/ *.egg-info
