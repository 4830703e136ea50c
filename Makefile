# dms: the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Two pytest workers (pytest-xdist), each with its own PostgreSQL database, bucket and index: the suite waits on
# services and subprocesses as much as it computes. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
PYTEST_ARGS ?= $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) --durations=20

.PHONY: install run test test-embedded services-up services-down lint bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	@scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

install: $(BIN)/.installed

run: install
	@$(BIN)/dms migrate
	@token=$$($(BIN)/dms demo) && \
	  echo "" && \
	  echo "  dms is starting on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/docs)" && \
	  echo "  demo clerk token: $$token" && \
	  echo "  web interface: http://$(HOST):$(PORT)/  (greffe@demo.example / demo-greffe-2026)" && \
	  echo "  try: curl -H 'Authorization: Bearer $$token' 'http://$(HOST):$(PORT)/api/v1/search?q=permis'" && \
	  echo ""
	@$(BIN)/dms serve --host $(HOST) --port $(PORT)

# Every test, against the embedded defaults and the real PostgreSQL, Elasticsearch, MinIO and Tika.
test: install
	scripts/services.sh up
	@eval "$$(scripts/services.sh env)" && \
	  DMS_TEST_PG_URL="$$DMS_DATABASE_URL" DMS_TEST_S3_URL="$$DMS_BLOB_URL" \
	  DMS_TEST_ES_URL="$$DMS_SEARCH_URL" DMS_TEST_TIKA_URL="$$DMS_TIKA_URL" \
	  env -u DMS_DATABASE_URL -u DMS_BLOB_URL -u DMS_SEARCH_URL -u DMS_TIKA_URL \
	  $(BIN)/pytest $(PYTEST_ARGS)

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,bench]'
	scripts/services.sh up
	$(BIN)/python bench/search_engines.py
	@eval "$$(scripts/services.sh env)" && $(BIN)/python bench/run_all.py  # JSON in bench/results/, table in docs/benchmarks.md

clean:
	rm -rf $(VENV) var .pytest_cache
