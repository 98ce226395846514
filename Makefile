# The two commands a newcomer needs: `make demo` and `make test`. Everything else is set up on demand.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
DEMO_PROVIDERS ?= 400
DEMO_SEED ?= 42
# Real FDA files loaded on top of the demo catalogue (partners/demo/fda/README.md says what each
# is): the registrations first, so that the records after them link to their establishments.
DEMO_FDA_FILES := $(addprefix partners/demo/fda/,drug_establishments.txt compliance_actions.csv \
	warning_letters_2025.csv published_483s.csv published_483s_2025.xlsx)
# FDA's records are loaded as they stood on this day; `make demo-news` then imports the letters
# FDA sent after it, and the demo's watched shortlist hears of one (sourcing/watching/).
DEMO_FDA_CUTOFF ?= 2025-05-31

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

# The demo always runs embedded: SQLite and in-process tasks, whatever the shell exports.
DEMO_ENV := env -u DATABASE_URL -u REDIS_URL DEBUG=true

.PHONY: install demo demo-news test bench loadtest screenshots lint format clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(VENV)/.synced

demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo --providers $(DEMO_PROVIDERS) --seed $(DEMO_SEED)
	$(DEMO_ENV) $(PY) manage.py recompute_compliance
	@start=$$(date +%s); $(DEMO_ENV) $(PY) manage.py import_fda --until $(DEMO_FDA_CUTOFF) $(DEMO_FDA_FILES) && \
		echo "Real FDA files imported in $$(( $$(date +%s) - start )) s."
	$(DEMO_ENV) $(PY) manage.py demo_accounts
	$(DEMO_ENV) $(PY) manage.py demo_shortlist
	@echo "Serving CDMO Match on http://127.0.0.1:8000/ (curators: http://127.0.0.1:8000/admin/)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# While `make demo` serves: FDA's warning letters after the cut-off arrive, and the buyer (and
# the rest of Helix's team) is told of the one on a shortlisted establishment: the bell, and an
# e-mail printed on this console.
demo-news: install
	$(DEMO_ENV) $(PY) manage.py import_fda partners/demo/fda/warning_letters_2025.csv

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks run on PostgreSQL in production mode; the catalogues are seeded on first use:
# 5,000 providers (about 20,000 sites), and 24,500 (about 100,000 sites) for matching at scale.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cdmo_bench
BENCH_100K_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cdmo_bench_100k
BENCH_ENV := env -u REDIS_URL DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false \
	ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=false \
	SECRET_KEY=benchmark-only-key-never-used-to-serve-anything-0123456789abcdef

bench: install
	$(BENCH_ENV) $(PY) -m bench.directory
	$(BENCH_ENV) $(PY) -m bench.fda_import
	$(BENCH_ENV) $(PY) -m bench.watch_events
	$(BENCH_ENV) $(PY) -m bench.engine
	$(BENCH_ENV) $(PY) -m bench.exports
	$(BENCH_ENV) $(PY) -m bench.workspace
	$(BENCH_ENV) $(PY) -m bench.run --providers 5000
	$(BENCH_ENV) $(PY) -m bench.acceptability --providers 5000
	$(BENCH_ENV) $(PY) -m bench.storage --providers 5000
	$(BENCH_ENV) DATABASE_URL=$(BENCH_100K_DATABASE_URL) $(PY) -m bench.run --providers 24500
	$(BENCH_ENV) DATABASE_URL=$(BENCH_100K_DATABASE_URL) $(PY) -m bench.acceptability --providers 24500

# Requests per second and p50/p99 latencies under load: gunicorn with production settings, a real
# Celery worker and a Redis server of its own, driven by wrk (Debian's package) on 127.0.0.1.
loadtest: install
	$(BENCH_ENV) $(PY) -m bench.loadtest

# The README's screenshots, taken from the app that `make demo` serves.
screenshots: install
	$(PY) scripts/screenshots.py --readme docs/screenshots

# Style, the design's import contracts (.importlinter) and types; CI runs it, and so does
# pre-commit (.pre-commit-config.yaml) on each commit.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache db.sqlite3
