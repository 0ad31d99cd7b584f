# Skranke's commands. `make demo` serves a demo municipality; `make test` runs every check.
# Both create .venv and install what they need first.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make-stamps

# The first Python 3.11+ found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: demo test lint typecheck migrations-check pytest messages bench clean help

help:
	@echo "make demo      set up and serve the demo municipality on http://127.0.0.1:8000/"
	@echo "make test      set up and run ruff, mypy, the migrations check and the test suite"
	@echo "make messages  update and compile the Danish and English translation catalogues"
	@echo "make bench     measure the production stack on PostgreSQL (bench/results.md)"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Skranke needs Python 3.11 or newer (python3 --version). On Debian/Ubuntu: apt install python3"; exit 1; fi
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "$(PYTHON) cannot create virtual environments. On Debian/Ubuntu: apt install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMPS)/install: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --editable .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/install-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --editable '.[test]'
	@mkdir -p $(STAMPS) && touch $@ $(STAMPS)/install

demo: $(STAMPS)/install
	$(BIN)/skranke demo $(DEMO_ARGS)

test: $(STAMPS)/install-test lint typecheck migrations-check pytest

lint: $(STAMPS)/install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMPS)/install-test
	$(BIN)/mypy skranke

migrations-check: $(STAMPS)/install-test
	SKRANKE_DATA_DIR=$(CURDIR)/var/check $(BIN)/skranke makemigrations --check --dry-run

pytest: $(STAMPS)/install-test
	$(BIN)/pytest $(PYTEST_ARGS)

messages: $(STAMPS)/install-test
	@command -v msgfmt >/dev/null || { echo "make messages needs GNU gettext. On Debian/Ubuntu: apt install gettext"; exit 1; }
	# English is the source language: its catalogue repeats each message (msgen), so both
	# catalogues are complete and a test can check them alike.
	cd skranke && SKRANKE_DATA_DIR=$(CURDIR)/var/messages ../$(BIN)/skranke makemessages \
		--locale da --locale en --no-obsolete --add-location file --ignore 'tests/*'
	msgattrib --no-wrap --clear-fuzzy --empty -o skranke/locale/en/LC_MESSAGES/django.po skranke/locale/en/LC_MESSAGES/django.po
	msgen --no-wrap -o skranke/locale/en/LC_MESSAGES/django.po skranke/locale/en/LC_MESSAGES/django.po
	cd skranke && SKRANKE_DATA_DIR=$(CURDIR)/var/messages ../$(BIN)/skranke compilemessages --locale da --locale en

$(STAMPS)/install-bench: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --editable '.[bench]'
	@mkdir -p $(STAMPS) && touch $@ $(STAMPS)/install

# Drops and creates SKRANKE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
# skranke_bench); exits 0 when a goal is missed, 1 only when something could not be measured.
bench: $(STAMPS)/install-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(STAMPS) build *.egg-info
