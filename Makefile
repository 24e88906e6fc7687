# One command each: `make run` installs and starts the app, `make test` installs and runs every test.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501

.PHONY: run test bench lint format install install-dev chromium clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	touch $@

# timm's own metadata asks for torchvision (no CPU build here, gigabytes of CUDA): install it without
# dependencies; the tests load its scheduler modules directly.
$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -r requirements-dev.txt
	$(BIN)/pip install --no-deps timm==1.0.31
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

run: install
	$(BIN)/python scripts/serve.py --server.port $(PORT)

test: install-dev chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2

bench: install-dev
	$(BIN)/python scripts/bench.py

lint: install-dev
	$(BIN)/ruff check .

format: install-dev
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
