# Two commands do everything on a fresh machine:  make run   and   make test
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/modu.tar.gz
# The model stores the custom Rasa components by path: retrain when they (or what they import) change,
# not when a keyword heuristic of the actions (bot/nlp/keywords.py, abuse.py) or PII masking does.
NLU_COMPONENTS := bot/nlp/kiwi_tokenizer.py bot/nlp/entities.py bot/nlp/numbers.py
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(NLU_COMPONENTS)

# Python 3.10 (Rasa 3.6 supports nothing newer): on PATH, else through pyenv. A pyenv shim that
# exists but has no 3.10 selected does not count: the candidate has to run.
PYTHON310 := $(shell for p in python3.10 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10.*/bin/python; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; \
	  then command -v $$p; break; fi; done)

.PHONY: run test install train seed chromium clean bench test-fast

run: install $(MODEL)
	$(PY) -m bot run

# The whole suite on SQLite, then the database-facing tests (repository, actions, the stack)
# again on PostgreSQL, which this kind of machine runs (SKIP_POSTGRES=1 to leave it out).
POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
# Unit tests that touch no database: the SQLite pass runs them, the PostgreSQL pass leaves them out.
NO_DATABASE_TESTS := --ignore=tests/unit/test_analytics_csat.py --ignore=tests/unit/test_analytics_facts.py --ignore=tests/unit/test_bench.py --ignore=tests/unit/test_clock.py --ignore=tests/unit/test_import_rules.py --ignore=tests/unit/test_nlp_abuse.py --ignore=tests/unit/test_nlp_keywords.py --ignore=tests/unit/test_nlp_numbers.py --ignore=tests/unit/test_nlp_numbers_written.py --ignore=tests/unit/test_nlp_pending_question.py --ignore=tests/unit/test_nlp_pii.py --ignore=tests/unit/test_policy.py --ignore=tests/unit/test_profile.py --ignore=tests/unit/test_rasa_lock.py --ignore=tests/unit/test_rasa_runtime.py --ignore=tests/unit/test_studio_nlu_files.py --ignore=tests/unit/test_studio_privacy.py

test: install $(MODEL) chromium
	$(PY) -m pytest tests
	@if [ -n "$(SKIP_POSTGRES)" ]; then echo "SKIP_POSTGRES is set: the PostgreSQL run is skipped"; exit 0; fi; \
	if ! $(PY) -c "import sqlalchemy; sqlalchemy.create_engine('$(POSTGRES_TEST_URL)').connect()" >/dev/null 2>&1; then \
	  echo "PostgreSQL is not reachable at $(POSTGRES_TEST_URL): start it, set POSTGRES_TEST_URL, or SKIP_POSTGRES=1"; exit 1; fi; \
	echo "--- again on PostgreSQL ---"; \
	TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(PY) -m pytest tests/unit tests/actions tests/integration $(NO_DATABASE_TESTS)

# Without the browser and the stack: the quick loop while editing rules or actions.
test-fast: install
	$(PY) -m pytest tests/unit tests/actions

install: $(VENV)/.installed node_modules/.installed

# The staff dashboard's charting library (Chart.js), pinned in package.json / package-lock.json
# and served by the gateway from node_modules/. Node.js and npm come from Debian if missing.
node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; fi
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "Python 3.10 is required (Rasa 3.6 supports nothing newer)."; \
	  echo "Install it with pyenv:  pyenv install 3.10  (or your system's python3.10 package)"; \
	  exit 1; fi
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

train: $(MODEL)

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) data validate --quiet
	$(RASA) train --fixed-model-name modu --out models
	touch $@

seed: install
	$(PY) -m bot seed

# Debian's Chromium and a Korean font, for the browser tests (playwright cannot download browsers here).
chromium:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; fi

bench: install $(MODEL) seed
	$(PY) -m bot bench

clean:
	rm -rf models var results .pytest_cache node_modules
