# riskdesk: `make run` starts the console with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT ?= 8000
# The services the second half of `make test` uses (the machine's own PostgreSQL and Redis).
TEST_DATABASE_URL ?= postgres://root@127.0.0.1:5432/riskdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint venv demo clean

venv: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

demo: venv
	@DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --no-input -v 0
	@DEBUG=$${DEBUG:-true} $(PY) manage.py load_demo

run: demo
	@echo ""
	@echo "  riskdesk is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@echo "  Demo sign-ins, password 'riskdesk-demo': olga, nikhil (operators), sam, mei (supervisors),"
	@echo "  tess (strategy), carla (customer service), audrey (auditor)"
	@echo ""
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "  REDIS_URL is set: web, ingest, actions, timers, batch and beat run under honcho (Procfile.dev)"; \
	  DEBUG=$${DEBUG:-true} PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start; \
	else \
	  echo "  No REDIS_URL: background tasks and the clock (the beat schedule) run inside the web process"; \
	  DEBUG=$${DEBUG:-true} $(PY) manage.py serve_desk 127.0.0.1:$(PORT); \
	fi

test: venv
	@$(PY) tests/run_suite.py --database-url "$(TEST_DATABASE_URL)" --redis-url "$(TEST_REDIS_URL)"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(VENV)/bin/mypy .

clean:
	rm -rf $(VENV) var
