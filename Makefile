# One command each: `make run` installs and starts the app, `make test` installs and runs every test.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501

.PHONY: run test bench load screenshots lint format install install-dev chromium nginx clean

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

# The reverse proxy of deploy/ (the failover test and `make load` run it in front of local servers).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
		{ $(SUDO) apt-get update && $(SUDO) apt-get install -y nginx; }

run: install
	$(BIN)/python scripts/serve.py --server.port $(PORT)

test: install-dev chromium nginx
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2

bench: install-dev
	$(BIN)/python scripts/bench.py

# The README's pictures of the explore and Train pages (docs/images/), from the real app in Chromium.
screenshots: install-dev chromium
	$(BIN)/python scripts/screenshots.py

# Locust users speaking Streamlit's websocket protocol: one server, then two behind nginx, then a soak.
# LOAD_ARGS passes options, e.g. `make load LOAD_ARGS="--users 50 --minutes 2 --soak-minutes 10"`.
load: install-dev nginx
	$(BIN)/python scripts/load.py $(LOAD_ARGS)

lint: install-dev
	$(BIN)/ruff check .

format: install-dev
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
