# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
E2E := tests/e2e
E2E_STAMP := $(E2E)/node_modules/.package-lock.json# written by npm ci
BABEL_KEYWORDS := -k T -k TN:1,2
# The test runs keep Python's compiled files (and pytest's rewritten test modules) in .venv, not
# beside the sources, even where PYTHONDONTWRITEBYTECODE is set: without them each of a run's
# interpreters, and each `crm-bot` a test starts, compiled everything again (~5 s of CPU each).
PYTEST := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache \
	$(VENV)/bin/pytest

.PHONY: install demo test check run lint e2e-deps bench locales flows chart-images clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/crm-bot demo

run: $(STAMP)
	$(VENV)/bin/crm-bot run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Everything: also the tests marked slow (kills, replicas, long drains, end to end).
test: lint e2e-deps
	$(PYTEST) -n 2 --dist loadgroup

# The fast tier, for while you work: lint, import contracts and the tests not marked slow,
# in two processes (pytest-xdist, which balance the tests between them).
check: lint
	$(PYTEST) -m "not slow" -n 2 --dist worksteal

# The end-to-end tests' Telegram emulator, a Node package: installed when node is there and the
# modules are missing or older than the lock file. Without node they are skipped, saying why.
e2e-deps:
	@if ! command -v node >/dev/null 2>&1; then \
		echo "make: node is not installed: the end-to-end tests will be skipped (install Node.js 18+)"; \
	elif ! command -v npm >/dev/null 2>&1; then \
		echo "make: npm is not installed: the end-to-end tests will be skipped (install npm)"; \
	elif [ ! -f $(E2E_STAMP) ] || [ $(E2E)/package-lock.json -nt $(E2E_STAMP) ]; then \
		echo "npm ci --prefix $(E2E) --no-audit --no-fund"; \
		npm ci --prefix $(E2E) --no-audit --no-fund; \
	fi

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The flows' Mermaid diagrams, generated from their declarations (a test compares them).
flows: $(STAMP)
	$(PY) -m handlers.conversation.diagram docs/flows

# The README's chart images (docs/images/), drawn from the demo company.
chart-images: $(STAMP)
	$(PY) tools/chart_images.py

# Refresh the message template and merge it into the catalogs after changing strings.
locales: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--omit-header -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap --no-fuzzy-matching \
		--ignore-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
