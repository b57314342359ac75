# Two commands on a fresh machine: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
STAMP    = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test serve system-deps browser-deps venv bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,iceberg]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

system-deps:
	scripts/install-system-deps.sh prometheus

browser-deps:
	scripts/install-system-deps.sh prometheus chromium

demo: system-deps venv
	$(BIN)/dataops-monitor demo

serve: venv
	$(BIN)/dataops-monitor serve

test: browser-deps venv
	$(BIN)/pytest --headless -p no:cacheprovider

bench: system-deps venv
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.exporters

clean:
	rm -rf $(VENV) .demo-data .pytest_cache
