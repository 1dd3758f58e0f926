# lmsops.moodle: the two commands (make demo, make test) and the test layers.
# Everything runs from a virtualenv this Makefile creates (.venv) with pinned requirements.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ANSIBLE_PYTHON ?= $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
BUILD := .build
STAGE := $(BUILD)/ansible_collections/lmsops/moodle
INSTALLED := $(BUILD)/collections
SHARED_TOOLS ?= ../shared/tools
export ANSIBLE_COLLECTIONS_PATH := $(abspath $(INSTALLED))
export ANSIBLE_FORCE_COLOR ?= 0
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv stage build install sanity units conformance integration test demo bench clean

help:
	@echo "make demo         provision users against the emulator (or MOODLE_URL/MOODLE_TOKEN), twice"
	@echo "make test         sanity + units (client, modules, emulator conformance) + integration"
	@echo "make sanity|units|conformance|integration|bench|build|clean"

$(BIN)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

venv: $(BIN)/.installed

# A copy of the collection at ansible_collections/lmsops/moodle, where ansible-test must run.
stage: venv
	rm -rf $(STAGE) && mkdir -p $(STAGE)
	tar --exclude=./.venv --exclude='./.venv-*' --exclude='./.build*' --exclude=./.git --exclude='__pycache__' \
	    --exclude=./tests/output -cf - . | tar -xf - -C $(STAGE)
	# ansible-test lists files with git; the copy lives in an ignored folder, so give it its own index.
	cd $(STAGE) && git init -q && git add -A

# Build the tarball users get, and install it where ansible-playbook finds it.
build: venv
	rm -rf $(BUILD)/dist && mkdir -p $(BUILD)/dist
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist .
	$(BIN)/ansible-galaxy collection install --force -p $(INSTALLED) $(BUILD)/dist/lmsops-moodle-*.tar.gz

install: build

# ansible-test sanity downloads a pip bootstrap script these machines cannot reach: use the stand-in.
sanity: stage
	@pipver=$$(grep -o "pip='[0-9.]*'" $(VENV)/lib/python*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | cut -d"'" -f2 | tr . _); \
	if [ -f $(SHARED_TOOLS)/ansible-test-get-pip.py ] && [ -n "$$pipver" ]; then \
	  mkdir -p ~/.ansible/test/cache && cp $(SHARED_TOOLS)/ansible-test-get-pip.py ~/.ansible/test/cache/get_pip_$$pipver.py; fi
	cd $(STAGE) && ansible-test sanity --python $(ANSIBLE_PYTHON) --requirements --color no --junit

units: stage
	cd $(STAGE) && ansible-test units --python $(ANSIBLE_PYTHON) --requirements --color no

# The emulator's conformance suite alone (it also runs inside `make units`).
conformance: venv
	$(BIN)/python -m pytest -q tests/unit/emulator

integration: stage build
	$(BIN)/python hacking/with_emulator.py --config $(STAGE)/tests/integration/integration_config.yml -- \
	  bash -c 'cd $(STAGE) && ansible-test integration --python $(ANSIBLE_PYTHON) --color no'

test: sanity units integration
	@$(BIN)/python hacking/summary.py $(STAGE)

demo: build
	$(BIN)/python hacking/with_emulator.py -- $(BIN)/python hacking/demo.py

bench: build
	$(BIN)/python hacking/with_emulator.py --seed bench -- $(BIN)/python bench/run.py

clean:
	rm -rf $(BUILD) $(VENV) tests/output
