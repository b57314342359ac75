# Two commands on a fresh machine: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
STAMP    = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test serve system-deps browser-deps a11y-deps venv airflow-venv bench clean lock compose-data

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,iceberg,demo]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Airflow 3 for the Airflow source's tests, in its own venv so its pins never meet the app's.
AIRFLOW_VENV ?= .airflow-venv
airflow-venv: $(AIRFLOW_VENV)/.installed

$(AIRFLOW_VENV)/.installed:
	test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet 'apache-airflow>=3.1,<4'
	touch $@

system-deps:
	scripts/install-system-deps.sh prometheus

browser-deps:
	scripts/install-system-deps.sh prometheus chromium redis alertmanager

# axe-core (MPL-2.0), the accessibility engine the browser tests inject into every page they audit.
AXE_VERSION = 4.14.1
AXE = .tools/node_modules/axe-core/axe.min.js
a11y-deps: $(AXE)

$(AXE):
	scripts/install-system-deps.sh npm
	npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

demo: system-deps venv
	$(BIN)/dataops-monitor demo

serve: venv
	$(BIN)/dataops-monitor serve

test: browser-deps a11y-deps venv airflow-venv
	$(BIN)/pytest --headless -p no:cacheprovider

# The demo's history for deploy/compose's Prometheus.
compose-data: system-deps venv
	$(BIN)/python scripts/compose_data.py

# Pinned, hashed dependencies of the image (the Dockerfile installs exactly these).
lock: venv
	$(BIN)/pip install --quiet 'pip-tools>=7.4'
	$(BIN)/pip-compile --quiet --strip-extras --extra redis --generate-hashes --allow-unsafe \
	    --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

bench: system-deps venv
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.exporters

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) .demo-data .pytest_cache .tools
