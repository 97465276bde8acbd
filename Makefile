# The daily verbs. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
# pyenv's interpreter for .python-version, else a python3.10 on the PATH.
BASE_PYTHON := $(firstword $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python3) $(shell command -v python3.10 2>/dev/null))
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/current.tar.gz
# The NLU code that shapes the trained model counts as training input too.
TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*.yml) $(wildcard data/topics/*.yml) \
	core/intent_model.py $(wildcard rasa_server/intent_classifier.py rasa_server/count_vectors.py)

# A clinic's conversations stay in the clinic: Rasa never sends usage data.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)

.PHONY: help install system-packages run shell handoffs staff-user purge forget bench topics train validate lint format test test-unit e2e lock clean

help:
	@echo "make run    - set up, train if data changed, start the assistant (Ctrl-C stops it)"
	@echo "make test   - set up and run every check"
	@echo "make test-unit                 - only the tests that start no server (under a minute)"
	@echo "make shell  - talk to the assistant in the terminal (staff)"
	@echo "make handoffs ARGS='list | show h-000001 | resolve h-000001' - staff: handoff requests"
	@echo "make staff-user NAME=<login> ROLE=<staff|curator|admin> - staff console account"
	@echo "make purge [DAYS=30]           - delete data older than RETENTION_DAYS (default 90)"
	@echo "make forget ID=<conversation>  - delete one patient's data everywhere"
	@echo "make bench                     - benchmarks vs Rasa's default config (5+ hours)"
	@echo "make topics                    - after adding a topic: its intent, rule and test story"
	@echo "make train | validate | lint | format | e2e | lock | clean"

$(BIN)/python:
	@test -n "$(BASE_PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it with 'pyenv install $(PYTHON_VERSION)'"; exit 1; }
	$(BASE_PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip==24.0
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The demo page's chat UI, from the committed lock file.
web/node_modules/.installed: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	cd web && npm ci --no-audit --no-fund
	touch $@

# What the tests need from Debian: a browser for the page, and the stores of
# the scale-out test. Installed only where missing.
SYSTEM_PACKAGES := chromium:chromium postgresql:/usr/lib/postgresql redis-server:redis-server wamerican:/usr/share/dict/american-english wspanish:/usr/share/dict/spanish
system-packages:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
	  pkg=$${entry%%:*}; probe=$${entry#*:}; \
	  command -v $$probe >/dev/null 2>&1 || test -e $$probe || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing from Debian:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

install: $(VENV)/.installed web/node_modules/.installed

# Rasa retrains only when training data or config changed; content/ edits need no training.
# `make validate` checks the data (`make test` runs it first), so training does
# not check it a second time: that took 15 of about 90 seconds.
$(MODEL): $(TRAINING_INPUTS) | $(VENV)/.installed
	$(BIN)/python -m rasa_server train --skip-validation --fixed-model-name current --out models

train: $(MODEL)

# A topic's intent (domain.yml), rule (data/topic_rules.yml) and test story
# (tests/test_stories.yml), generated from content/answers/ after checking them
# against ../shared/topics.yml. Run it before `make train`.
topics: $(VENV)/.installed
	$(BIN)/python -m tools.topics

validate: install
	$(BIN)/rasa data validate --fail-on-warnings

run: install $(MODEL)
	$(BIN)/python -m tools.run_assistant $(RUN_ARGS)

# Plain `rasa shell`, not our entry point (`python -m rasa_server shell`): the
# speed-ups it installs change only how fast the server keeps up under load,
# which one staff member typing never notices, and Rasa as shipped gives the
# same answers. (config.yml's featurizer is part of the model: used either way.)
shell: $(MODEL)
	@mkdir -p var/log var/data
	@$(BIN)/python -m actions > var/log/action-server-shell.log 2>&1 & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT INT TERM; \
	$(BIN)/rasa shell --model $(MODEL) --endpoints endpoints.yml

ARGS ?= list
handoffs: install
	$(BIN)/python -m tools.handoffs $(ARGS)

# The password is asked for, or read from STAFF_PASSWORD (scripted set-up).
staff-user: install
	@test -n "$(NAME)" -a -n "$(ROLE)" || { echo "usage: make staff-user NAME=<login> ROLE=<staff|curator|admin>"; exit 2; }
	$(BIN)/python -m tools.staff_user "$(NAME)" "$(ROLE)"

purge: install
	$(BIN)/python -m tools.privacy purge $(if $(DAYS),--days $(DAYS))

forget: install
	@test -n "$(ID)" || { echo "usage: make forget ID=<conversation id>"; exit 2; }
	$(BIN)/python -m tools.privacy forget "$(ID)"

# Side by side with Rasa's default config, in one run: writes bench/results/
# and BENCHMARKS.md. `make test` only checks the scripts on a tiny budget.
bench: $(MODEL)
	$(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

e2e: $(MODEL)
	$(BIN)/rasa test core --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors --out results/e2e

# Both tiers: tests/unit/ (no server) first, then tests/server/ (real servers).
test: system-packages lint validate $(MODEL)
	$(BIN)/python -m pytest
	$(MAKE) e2e

# The unit tier alone: plain Python and the trained model in-process, no server.
test-unit: $(MODEL)
	$(BIN)/python -m pytest tests/unit

lock: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.in
	$(BIN)/pip freeze --exclude-editable > requirements.txt

clean:
	rm -rf models results .pytest_cache
