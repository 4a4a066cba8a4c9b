# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BABEL_KEYWORDS := -k T -k TN:1,2

.PHONY: install demo test run lint bench locales flows clean

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

test: lint
	$(VENV)/bin/pytest

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The flows' Mermaid diagrams, generated from their declarations (a test compares them).
flows: $(STAMP)
	$(PY) -m handlers.conversation.diagram docs/flows

# Refresh the message template and merge it into the catalogs after changing strings.
locales: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--omit-header -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap --no-fuzzy-matching \
		--ignore-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
