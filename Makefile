# Two commands on a fresh machine: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
STAMP    = $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test serve system-deps browser-deps a11y-deps venv bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

system-deps:
	scripts/install-system-deps.sh prometheus

browser-deps:
	scripts/install-system-deps.sh prometheus chromium

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

test: browser-deps a11y-deps venv
	$(BIN)/pytest --headless -p no:cacheprovider

bench: system-deps venv
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .demo-data .pytest_cache .tools
