# houqin — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Demo hospital size multiplier (1 = a 1,500-bed hospital).
SCALE ?= 1
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-m 'not browser'"`.
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: run test install install-test migrate demo serve worker lint format messages check clean bench

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV) || (echo "Python venv module missing: apt-get install -y python3-venv" && exit 1)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(VENV)/bin/activate
	$(PIP) install -q -r requirements/base.txt
	touch $@

$(VENV)/.installed-test: requirements/test.txt requirements/base.txt | $(VENV)/bin/activate
	$(PIP) install -q -r requirements/test.txt
	touch $@ $(VENV)/.installed-base

install: $(VENV)/.installed-base
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput -v 0

# Loads the demo hospital once; `make demo` again does nothing if it is already there.
demo: migrate
	$(PY) manage.py seed_demo --scale $(SCALE)

# The web server, one background task worker (large imports, notifications, …) and the scheduler
# of periodic jobs (SLA sweep, retries; it only enqueues, the worker runs them); Ctrl-C stops all
# three. The worker finishes its current task on the first signal; a second one (the trap's)
# abandons it.
serve: install
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py demo_logins
	@echo "Serving on http://$(HOST):$(PORT)/ with a task worker and the scheduler  (Ctrl-C to stop)"
	@set -e; \
	$(PY) manage.py db_worker --queue-name default --interval 1 --no-reload & worker=$$!; \
	$(PY) manage.py scheduler & scheduler=$$!; \
	$(VENV)/bin/gunicorn houqin.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - --timeout 60 & web=$$!; \
	trap 'trap - EXIT INT TERM; kill $$web $$worker $$scheduler 2>/dev/null; wait' EXIT INT TERM; \
	wait $$web

run: demo serve

worker: install
	$(PY) manage.py db_worker

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks (not part of `make test`): ratios against raw SQL measured in the same run.
bench: $(VENV)/.installed-test
	$(VENV)/bin/pytest bench -p no:randomly --benchmark-columns=median,iqr,rounds --benchmark-sort=name -o addopts="" -s

lint: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerates translation catalogues (needs GNU gettext); the compiled .mo files are committed.
messages: install
	cd houqin && ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/*' --ignore '*/tests/*'
	cd houqin && ../$(PY) ../manage.py compilemessages

check: test

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
