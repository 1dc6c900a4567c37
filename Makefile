# WintEHR: `make run` starts the EHR, `make test` runs every test. Both build .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
export PORT ?= 8000
HOST ?= 127.0.0.1
export DEBUG ?= true

.PHONY: run test worker lint format stop-db

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py setup_demo
	exec $(PY) -m uvicorn wintehr.asgi:application --host $(HOST) --port $(PORT) --lifespan off

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

worker: $(VENV)/.installed
	exec $(VENV)/bin/celery -A wintehr worker --beat --loglevel INFO

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

stop-db: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=wintehr.settings $(PY) -c "import django; django.setup(); \
	from django.conf import settings; \
	from wintehr.embedded_postgres import stop_embedded_server; stop_embedded_server(settings.WINTEHR_DATA_DIR)"
