# make serve: run the fake on http://127.0.0.1:8080   make test: lint, types and every test
# Needs: Python 3.11+ (PYTHON=...) for both; Node.js 20+ and npm for make test as well.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP    := $(VENV)/.installed-test
ARGS   ?=
export PACT_DO_NOT_TRACK := true
EXPRESS := examples/express_app
MIN_PYTHON := (3, 11)
MIN_NODE   := 20

.PHONY: serve test test-prerequisites lint typecheck unit stores conformance examples-node bench clean \
	rebuild-venv image

# A .venv whose python no longer runs or is older than 3.11 (made by another Python) is rebuilt.
VENV_OK := $(shell $(BIN)/python -c 'import sys; sys.exit(sys.version_info < $(MIN_PYTHON))' \
	>/dev/null 2>&1 && echo yes)
ifneq ($(VENV_OK),yes)
STALE_VENV := rebuild-venv
endif

rebuild-venv:
	@if [ -d $(VENV) ]; then echo "make: $(VENV) is broken or not Python 3.11+: rebuilding it"; fi
	rm -rf $(VENV)

$(BIN)/python: $(STALE_VENV)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < $(MIN_PYTHON))' 2>/dev/null || { \
	  echo "make: Python 3.11 or later is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." \
	       "Install one, or pass it: make PYTHON=python3.12 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Serving needs only the package's own dependencies; the test tools are a separate install.
$(RUNTIME_STAMP): pyproject.toml $(BIN)/python $(STALE_VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(BIN)/python $(STALE_VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(RUNTIME_STAMP)

serve: $(RUNTIME_STAMP)
	$(BIN)/moonkey-mock serve $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest -n auto

# The API suite again on each durable store (tests/stores.py starts Debian's redis-server);
# tests/api/test_stores.py already runs its part on both in `unit`.
stores: $(TEST_STAMP)
	MOONKEY_TEST_STORE=sqlite $(BIN)/pytest -n auto tests/api --ignore=tests/api/test_stores.py
	MOONKEY_TEST_STORE=redis $(BIN)/pytest -n auto tests/api --ignore=tests/api/test_stores.py

# The conformance suite against the in-process fake, a `moonkey-mock serve` process and one
# started with --no-control (a real deployment's view); reports in reports/.
conformance: $(TEST_STAMP)
	BIN=$(BIN) scripts/conformance-ci.sh

# The Express example: npm ci when the lockfile changes, then its node:test suite, which
# starts the fake with this virtualenv's moonkey-mock.
$(EXPRESS)/node_modules/.installed: $(EXPRESS)/package-lock.json
	cd $(EXPRESS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

examples-node: $(TEST_STAMP) $(EXPRESS)/node_modules/.installed
	cd $(EXPRESS) && MOONKEY_MOCK_BIN="$(abspath $(BIN))/moonkey-mock" npm test --silent

# Everything make test needs, checked before anything is installed or run.
test-prerequisites:
	@missing=""; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < $(MIN_PYTHON))' 2>/dev/null || \
	  missing="$$missing\n  - Python 3.11 or later ('$(PYTHON)': $$($(PYTHON) --version 2>/dev/null || echo not found); PYTHON=... picks another)"; \
	node -e 'process.exit(+process.versions.node.split(".")[0] < $(MIN_NODE) ? 1 : 0)' 2>/dev/null || \
	  missing="$$missing\n  - Node.js $(MIN_NODE) or later ('node': $$(node --version 2>/dev/null || echo not found))"; \
	npm --version >/dev/null 2>&1 || missing="$$missing\n  - npm (comes with Node.js)"; \
	if [ -n "$$missing" ]; then printf "make test needs:$$missing\n" >&2; exit 1; fi

test: test-prerequisites
	$(MAKE) --no-print-directory lint typecheck unit stores conformance examples-node

# make bench: the fake vs a minimal floor app on 127.0.0.1 (installs wrk); ARGS=--quick
bench: $(TEST_STAMP)
	$(BIN)/python -m bench.run $(ARGS)

# make image: the container image $(IMAGE):latest and $(IMAGE):<version> from the Containerfile,
# with docker when its daemon answers, else podman (CONTAINER_TOOL=... picks one);
# BASE=... picks the base image (default: the Containerfile's python:3.12-slim).
IMAGE ?= moonkey-mock
BASE ?=
CONTAINER_TOOL ?=
image:
	@tool="$(CONTAINER_TOOL)"; \
	if [ -z "$$tool" ]; then \
	  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then tool=docker; \
	  elif command -v podman >/dev/null 2>&1; then tool=podman; \
	  else echo "make image needs docker (with its daemon running) or podman" >&2; exit 1; fi; \
	fi; \
	version=$$($(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])') || exit 1; \
	source=$$(git remote get-url origin 2>/dev/null || true); \
	case "$$source" in https://*@*|http://*@*|"") source=unknown ;; https://*|http://*) ;; *) source=unknown ;; esac; \
	revision=$$(git rev-parse HEAD 2>/dev/null || echo unknown); \
	format=""; [ "$$tool" = podman ] && format="--format docker"; \
	set -x; \
	$$tool build $$format -f Containerfile $(if $(BASE),--build-arg BASE=$(BASE)) \
	  --build-arg VERSION=$$version --build-arg SOURCE=$$source --build-arg REVISION=$$revision \
	  -t $(IMAGE):latest -t $(IMAGE):$$version .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(EXPRESS)/node_modules
