# Two commands on a fresh machine: `make test` and `make demo`. Both are idempotent:
# the virtualenv is (re)installed only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install test demo lint bench bench-quick clean browser postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, and the CPU build explicitly: from PyTorch's CPU index, since on Linux the PyPI
# wheel is the CUDA build (several GB of nvidia-* wheels). --no-deps: its few dependencies come
# from PyPI with the rest. pip also looks in its configured find-links and extra indexes; if
# even so no torch is found, PyPI's is taken with a warning. Keep TORCH in step with the
# `minilm` extra in pyproject.toml. Only the MiniLM backends need torch (the test fixtures use
# them; the default `use` backend does not): `pip install .` alone installs the service without.
TORCH := torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-deps --index-url $(TORCH_INDEX) '$(TORCH)' \
	  || { echo "WARNING: $(TORCH_INDEX) unreachable: $(TORCH) from the configured index" \
	       "(on Linux from PyPI that is the CUDA build)" >&2; \
	       $(BIN)/pip install --quiet --no-deps '$(TORCH)'; }
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/web) drive the system Chromium through Playwright; Playwright's own
# browser download is never used. Installed once with apt (as root, or with passwordless sudo);
# where that is impossible the tests skip with a loud reason (PARTNERMATCH_REQUIRE_BROWSER=1
# turns the skip into a failure).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "WARNING: cannot install chromium (not root, no sudo): browser tests will skip" >&2; exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "WARNING: no apt-get: install chromium yourself" >&2; exit 0; fi; \
	$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q chromium chromium-driver \
	  || echo "WARNING: apt-get could not install chromium: browser tests will skip" >&2

browser: $(CHROMIUM)

# The store, ingestion and API tests also run on PostgreSQL: the tests start a throwaway cluster
# themselves with Debian's initdb/pg_ctl (as the `postgres` user when run as root). Installed
# like chromium; without it those runs skip loudly (PARTNERMATCH_REQUIRE_POSTGRES=1: failure).
POSTGRES_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/initdb)
$(POSTGRES_INITDB):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "WARNING: cannot install postgresql (not root, no sudo): PostgreSQL tests will skip" >&2; exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "WARNING: no apt-get: install postgresql yourself" >&2; exit 0; fi; \
	$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q postgresql \
	  || echo "WARNING: apt-get could not install postgresql: PostgreSQL tests will skip" >&2

postgres: $(POSTGRES_INITDB)

test: $(STAMP) $(CHROMIUM) $(POSTGRES_INITDB)
	$(BIN)/python -m pytest -q

# ruff (lint + format) on everything; mypy on the three packages that ship.
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy matcher api training

# `partnermatch demo` checks the port first (a busy one fails at once, nothing changed), then
# loads the sample, builds the index and makes one demo key per role, each only when it is not
# already current: a second run keeps the sample, the index and the keys already pasted.
# PORT=8001 make demo serves on another port.
PORT ?= 8000
demo: $(STAMP)
	$(BIN)/partnermatch demo --host 127.0.0.1 --port $(PORT)
	$(BIN)/partnermatch serve --host 127.0.0.1 --port $(PORT)

# Every benchmark, then the README's tables regenerated from bench/results/*.json (tens of
# minutes on 2 cores; the simulated stores are kept under var/bench, so a second run skips
# simulation, ingestion and embedding). Sizes and run counts are each script's defaults.
bench: $(STAMP)
	$(BIN)/python -m bench.ingest_bench
	$(BIN)/python bench/screen_bench.py
	$(BIN)/python -m bench.embed_throughput
	$(BIN)/python -m training.evaluate --data data/sample --home var/bench/quality-home
	$(BIN)/python -m bench.recommend_latency
	$(BIN)/python -m bench.index_choice
	$(BIN)/python -m bench.http_load
	$(BIN)/python -m bench.write_latency --sizes 100000
	$(BIN)/python -m bench.teams --size 100000 --deals 60
	$(BIN)/python -m bench.cli_start
	$(BIN)/python -m bench.report

# A smoke run of the same benchmarks at small sizes. Results go to $(QUICK_RESULTS) and the
# tables to the terminal: the committed results and README stay the full measured ones.
# (screen_bench has no quick mode nor --out: it is left to the full run.)
QUICK_RESULTS := var/bench/quick-results
bench-quick: $(STAMP)
	$(BIN)/python -m bench.ingest_bench --quick --out $(QUICK_RESULTS)/ingest.json
	$(BIN)/python -m bench.embed_throughput --quick --out $(QUICK_RESULTS)/embed_throughput.json
	$(BIN)/python -m training.evaluate --data data/sample --home var/bench/quality-home \
	  --out $(QUICK_RESULTS)
	$(BIN)/python -m bench.recommend_latency --quick --out $(QUICK_RESULTS)/recommend_latency.json
	$(BIN)/python -m bench.index_choice --quick --out $(QUICK_RESULTS)/index_choice.json
	$(BIN)/python -m bench.http_load --quick --out $(QUICK_RESULTS)/http_load.json
	$(BIN)/python -m bench.report --results $(QUICK_RESULTS) --stdout

clean:
	rm -rf $(VENV) var .pytest_cache
