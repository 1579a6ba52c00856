# Two commands on a fresh machine: `make test` and `make demo`. Both are idempotent:
# the virtualenv is (re)installed only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install test demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the CPU build, so sentence-transformers does not pull a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# The sample ecosystem is re-ingested on every run: an upsert, so it is idempotent.
# The index build re-embeds only what changed (vectors are cached by content hash).
demo: $(STAMP)
	$(BIN)/partnermatch ingest partners data/sample/partners.csv
	$(BIN)/partnermatch ingest outcomes data/sample/outcomes.csv
	$(BIN)/partnermatch index build
	@echo "Demo API keys (one per role; paste these lines into your shell):"
	@$(BIN)/partnermatch keys demo
	$(BIN)/partnermatch serve --host 127.0.0.1 --port 8000

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache
