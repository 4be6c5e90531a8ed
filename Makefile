# Pulse: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PULSE := $(VENV)/bin/pulse
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run install bootstrap lint format test test-unit browser-deps clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Migrate the database and seed the demo data when it is empty.
bootstrap: install
	$(PULSE) bootstrap

run: bootstrap
	PULSE_HOST=$(HOST) PULSE_PORT=$(PORT) $(PY) app.py

# Headless Chromium and its driver for the browser tests (Debian packages).
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null; \
	else echo "browser tests need chromium and chromedriver: apt-get install chromium chromium-driver"; fi

# The checks CI runs before the tests: lint and format (ruff), types (mypy on core,
# datasources and commands), and the layer contracts (import-linter, in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Apply ruff's fixes and formatting.
format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install browser-deps
	$(PY) -m pytest -q -p no:cacheprovider tests

test-unit: install
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

clean:
	rm -rf var/pulse.db var/pulse.db-* var/cache test-output
