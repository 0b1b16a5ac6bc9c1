# make serve: run the fake on http://127.0.0.1:8080   make test: lint, types and every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=
EXPRESS := examples/express_app

.PHONY: serve test lint typecheck unit conformance examples-node bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/moonkey-mock serve $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n auto

# The conformance suite against the in-process fake, a `moonkey-mock serve` process and one
# started with --no-control (a real deployment's view); reports in reports/.
conformance: $(STAMP)
	BIN=$(BIN) scripts/conformance-ci.sh

# The Express example: npm ci when the lockfile changes, then its node:test suite, which
# starts the fake with this virtualenv's moonkey-mock.
$(EXPRESS)/node_modules/.installed: $(EXPRESS)/package-lock.json
	cd $(EXPRESS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

examples-node: $(STAMP) $(EXPRESS)/node_modules/.installed
	cd $(EXPRESS) && MOONKEY_MOCK_BIN="$(abspath $(BIN))/moonkey-mock" npm test --silent

test: lint typecheck unit conformance examples-node

# make bench: the fake vs a minimal floor app on 127.0.0.1 (installs wrk); ARGS=--quick
bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(EXPRESS)/node_modules
