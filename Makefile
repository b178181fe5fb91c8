# consulta: `make run` and `make test` do all the set-up on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test install translations migrate demo serve extract-messages clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d consulta/translations

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo

run: demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# The suite in TEST_WORKERS processes (pytest-xdist), each test module whole in one of them, so that
# a module's fixtures (the demo loaded, the every-route walk) are made once; `make test
# TEST_WORKERS=0` runs it in this process alone.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_ARGS)

# The main pages at 360 and 1280 px in both languages, on the demo, into docs/screenshots/.
screenshots: translations
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

# For developers: refresh the catalogues after adding or changing interface text.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o consulta/translations/messages.pot .
	$(BIN)/pybabel update -i consulta/translations/messages.pot -d consulta/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance/*.db*

# Benchmark (bench/RESULTS.md): fill DATABASE_URL at a national scale, then measure it under gunicorn.
.PHONY: bench-generate bench-run
bench-generate: $(STAMP)
	$(BIN)/python -m bench.generate $(BENCH_ARGS)

bench-run: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
