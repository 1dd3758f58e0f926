# lmsops.moodle: the two commands (make demo, make test) and the test layers.
# Everything runs from a virtualenv this Makefile creates (.venv) with pinned requirements.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The pinned set installed into $(VENV); the version matrix points VENV and REQUIREMENTS elsewhere.
REQUIREMENTS ?= tests/requirements.txt
ANSIBLE_PYTHON ?= $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
BUILD := .build
STAGE := $(BUILD)/ansible_collections/lmsops/moodle
# What the staged copy holds: the collection's own top-level entries, nothing a tool left behind.
STAGE_CONTENT := galaxy.yml meta plugins roles tests docs changelogs README.md CHANGELOG.rst CONTRIBUTING.md LICENSE COPYING \
                 requirements.txt bindep.txt hacking bench Makefile .ansible-lint .ci
INSTALLED := $(BUILD)/collections
SHARED_TOOLS ?= ../shared/tools
export ANSIBLE_COLLECTIONS_PATH := $(abspath $(INSTALLED))
export ANSIBLE_FORCE_COLOR ?= 0
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv stage build install sanity units conformance integration integration-moodle moodle-site record-conformance test test-serial demo bench clean \
        docs lint ee test-core test-oldest test-newest changelog-release

help:
	@echo "make demo         provision users against the emulator (or MOODLE_URL/MOODLE_TOKEN), twice"
	@echo "make test         sanity + units (client, modules, emulator conformance) + integration, units and"
	@echo "                  integration on ansible-core $(OLDEST_CORE) and $(NEWEST_CORE) too, docs, lint and ee, in two lanes"
	@echo "make test-serial  the same, one layer after another"
	@echo "make bench        performance on the emulator and the real Moodle sites (BENCH_SITES=emulator,5.1,4.5) -> docs/performance.md"
	@echo "make sanity|units|conformance|integration|build|clean"
	@echo "make docs         module and role reference + guides as HTML in docs/build/html (checked for broken references)"
	@echo "make lint         ansible-lint (production profile) on the role, the examples and the integration playbooks"
	@echo "make ee           check the execution-environment files with ansible-builder (introspect + create)"
	@echo "make test-oldest  units and integration on ansible-core $(OLDEST_CORE) (part of make test)"
	@echo "make test-newest  sanity, units and integration on ansible-core $(NEWEST_CORE), Python 3.12 (part of make test)"

$(BIN)/.installed: $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(REQUIREMENTS)
	touch $@

venv: $(BIN)/.installed

# A copy of the collection at ansible_collections/lmsops/moodle, where ansible-test must run.
stage: venv
	rm -rf $(STAGE) && mkdir -p $(STAGE)
	tar --exclude='__pycache__' --exclude=./tests/output --exclude='./docs/build' \
	    -cf - $(addprefix ./,$(wildcard $(STAGE_CONTENT))) | tar -xf - -C $(STAGE)
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

# Real Moodle sites on 127.0.0.1 (hacking/moodle_site.py; as root: it installs Debian's PHP, PostgreSQL
# and Apache when missing). MOODLE_SOURCE=<tarball, directory or URL> chooses the Moodle source.
MOODLE_VERSIONS ?= 4.5 5.1
# Targets that never talk to a site (role_setup_configure drives the role against a fake php and fake
# Moodle directories) run once, in `make integration`, not again against each real site.
SITE_INDEPENDENT_TARGETS ?= role_setup_configure
SITE_EXCLUDES = $(foreach t,$(SITE_INDEPENDENT_TARGETS),--exclude $(t))
VERSION ?= 5.1
# Where integration-moodle records each version it passed (real-site-VERSION.passed), for the closing summary.
REAL_SITES_RECORD_DIR ?= $(abspath $(STAGE))/tests/output
moodle-site: build
	$(BIN)/python hacking/moodle_site.py up $(VERSION)

# Re-record the conformance exchanges from each real site into tests/unit/emulator/recordings/VERSION.
record-conformance: build
	@set -e; for version in $(MOODLE_VERSIONS); do $(BIN)/python hacking/record_conformance.py $$version; done

# The integration targets against each real site, with the token the setup role issued.
# Outside CI, a machine that cannot have the sites (not root, no Moodle source) skips this layer, saying so.
integration-moodle: stage build
	@if [ -z "$(strip $(MOODLE_VERSIONS))" ]; then echo "integration-moodle: no Moodle version asked for"; exit 0; fi; \
	if [ -z "$$CI" ] && ! $(BIN)/python hacking/moodle_site.py can-build $(MOODLE_VERSIONS); then \
	  echo "integration-moodle: NOT RUN - real Moodle sites need root and a Moodle source (MOODLE_SOURCE); see docs/test-site.md"; \
	  exit 0; fi; \
	set -e; mkdir -p $(REAL_SITES_RECORD_DIR); for version in $(MOODLE_VERSIONS); do \
	  rm -f $(REAL_SITES_RECORD_DIR)/real-site-$$version.passed; \
	  echo "=== integration against a real Moodle $$version"; \
	  $(BIN)/python hacking/with_emulator.py --site $$version --config $(STAGE)/tests/integration/integration_config.yml -- \
	    bash -c 'cd $(STAGE) && ansible-test integration --python $(ANSIBLE_PYTHON) --color no $(SITE_EXCLUDES)'; \
	  touch $(REAL_SITES_RECORD_DIR)/real-site-$$version.passed; \
	done

# The version matrix: sanity, units and integration (emulator and real Moodle 4.5 and 5.1) on ansible-core
# 2.19 ($(VENV)); units and integration on the oldest supported (2.16); sanity, units and integration on the
# newest that installs here (2.21, Python 3.12); the docs, lint and EE checks.
# Two lanes run side by side (hacking/lanes.py: each lane one make invocation, its output printed whole when it
# ends), each with its own build folder and Moodle site; their work is balanced to end together. The real-site
# layer waits for the sites .ci/run builds in the background. `make test-serial` runs the same in one line.
LANE_B_BUILD := $(BUILD)/lane-b
TEST_LANE_A := sanity units integration test-oldest integration-moodle MOODLE_VERSIONS=$(firstword $(MOODLE_VERSIONS))
TEST_LANE_B := test-newest integration-moodle docs lint ee BUILD=$(LANE_B_BUILD) \
               MOODLE_VERSIONS="$(wordlist 2,99,$(MOODLE_VERSIONS))" REAL_SITES_RECORD_DIR=$(REAL_SITES_RECORD_DIR)
test: venv
	@rm -f $(REAL_SITES_RECORD_DIR)/real-site-*.passed
	@$(BIN)/python hacking/lanes.py --log-dir $(BUILD)/lanes --lane '$(TEST_LANE_A)' --lane '$(TEST_LANE_B)'
	@$(BIN)/python hacking/summary.py $(STAGE) $(REAL_SITES_RECORD_DIR)

test-serial: sanity units integration integration-moodle test-oldest test-newest docs lint ee
	@$(BIN)/python hacking/summary.py $(STAGE) $(REAL_SITES_RECORD_DIR)

demo: build
	$(BIN)/python hacking/with_emulator.py -- $(BIN)/python hacking/demo.py

# The bench starts the emulator itself and brings the real sites up itself (hacking/moodle_site.py, as root):
# BENCH_SITES chooses (default emulator,5.1,4.5), BENCH_BUDGET is seconds per site; see docs/performance.md.
bench: build
	$(BIN)/python bench/run.py

clean:
	rm -rf $(BUILD) $(VENV) .venv-$(OLDEST_CORE) .venv-$(NEWEST_CORE) $(DOCS_VENV) $(LINT_VENV) tests/output $(DOCS_OUT)

# --- The Ansible ecosystem: version matrix, docs site, lint, execution environment ------------------
# Each tool set lives in its own virtualenv from its own pinned file, so $(VENV)'s set never moves.
OLDEST_CORE ?= 2.16
OLDEST_VENV ?= .venv-$(OLDEST_CORE)
# The newest ansible-core that installs here needs Python 3.12: pyenv's, or any python3.12 that runs.
NEWEST_CORE ?= 2.21
ifndef NEWEST_PYTHON
NEWEST_PYTHON := $(firstword $(foreach py,$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12,\
                   $(shell $(py) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && echo $(py))))
endif
CORE ?= $(OLDEST_CORE)
CORE_PYTHON ?= $(PYTHON)
CORE_TARGETS ?= units integration
DOCS_VENV ?= .venv-docs
LINT_VENV ?= .venv-lint
DOCS_RST := $(BUILD)/docs-rst
DOCS_OUT ?= docs/build
EE_DIR := $(BUILD)/ee
COLLECTION := $(INSTALLED)/ansible_collections/lmsops/moodle

$(DOCS_VENV)/bin/.installed: tests/requirements-docs.txt
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements-docs.txt
	touch $@

$(LINT_VENV)/bin/.installed: tests/requirements-lint.txt
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements-lint.txt
	touch $@

# Units and integration on another ansible-core, each in its own venv (.venv-CORE, from
# tests/requirements-CORE.txt) and build folder ($(BUILD)/core-CORE), with CORE_PYTHON:
#   make test-core CORE=2.16    (the oldest supported; `make test-oldest`, part of `make test`)
test-core:
	@echo "=== ansible-core $(CORE) on $(CORE_PYTHON): $(CORE_TARGETS)"
	$(MAKE) --no-print-directory $(CORE_TARGETS) VENV=.venv-$(CORE) PYTHON=$(CORE_PYTHON) \
	  REQUIREMENTS=tests/requirements-$(CORE).txt BUILD=$(BUILD)/core-$(CORE)
	@set -o pipefail; $(BIN)/python hacking/summary.py $(BUILD)/core-$(CORE)/ansible_collections/lmsops/moodle \
	  | grep -v -e '^make test:' $(if $(findstring sanity,$(CORE_TARGETS)),,-e '^sanity:') | sed 's/^/ansible-core $(CORE) /'

test-oldest:
	@$(MAKE) --no-print-directory test-core CORE=$(OLDEST_CORE) CORE_PYTHON=$(PYTHON)

# The newest: sanity too (the main .venv's ansible-core runs sanity, units and integration as well).
test-newest:
	@# Without a Python 3.12 the newest ansible-core this machine can run is the one in $(VENV), tested above.
	@if [ -z "$(NEWEST_PYTHON)" ]; then echo "test-newest: NOT RUN - ansible-core $(NEWEST_CORE) needs Python 3.12 and none was found (set NEWEST_PYTHON); the newest ansible-core for this Python was tested by the steps above"; exit 0; fi
	@$(MAKE) --no-print-directory test-core CORE=$(NEWEST_CORE) CORE_PYTHON=$(NEWEST_PYTHON) CORE_TARGETS="sanity units integration"

# The documentation site: the reference generated by antsibull-docs from the installed collection
# (every module, filter and role), the guides in docs/*.md, built offline by Sphinx. Broken
# references fail: antsibull-docs lints the plugin docs, Sphinx runs nitpicky with -W.
docs: build $(DOCS_VENV)/bin/.installed
	rm -rf $(DOCS_RST) $(DOCS_OUT) && mkdir -p $(BUILD) $(DOCS_OUT) && mkdir -m 700 $(DOCS_RST)
	echo '*' > $(DOCS_OUT)/.gitignore
	PATH=$(abspath $(DOCS_VENV))/bin:$$PATH antsibull-docs lint-collection-docs --plugin-docs \
	  --validate-collection-refs all $(COLLECTION)
	PATH=$(abspath $(DOCS_VENV))/bin:$$PATH antsibull-docs collection --use-current --fail-on-error \
	  --no-add-antsibull-docs-version --dest-dir $(DOCS_RST) lmsops.moodle
	$(DOCS_VENV)/bin/python docs/antsibull/assemble.py . $(DOCS_RST)
	$(DOCS_VENV)/bin/sphinx-build -b html -c docs/antsibull -W --keep-going -n -q -j 2 $(DOCS_RST) $(DOCS_OUT)/html
	@echo "docs: $(DOCS_OUT)/html/index.html"

# ansible-lint, production profile, offline (.ansible-lint), against the installed collection.
lint: build $(LINT_VENV)/bin/.installed
	PATH=$(abspath $(LINT_VENV))/bin:$$PATH ansible-lint --nocolor roles/ docs/examples/ $(wildcard tests/integration/targets/*/)

# The execution-environment files: ansible-builder must find requests through the installed
# collection's meta/execution-environment.yml, and `create` must accept the definition that
# docs/execution-environment.md gives users (no container is built).
ee: build $(LINT_VENV)/bin/.installed
	rm -rf $(EE_DIR) && mkdir -p $(EE_DIR)
	set -o pipefail; PATH=$(abspath $(LINT_VENV))/bin:$$PATH ansible-builder introspect $(INSTALLED) | tee $(EE_DIR)/introspect.txt
	grep -q 'requests.*from collection lmsops.moodle' $(EE_DIR)/introspect.txt || { echo 'ee: requests not found through meta/execution-environment.yml'; exit 1; }
	$(LINT_VENV)/bin/python docs/antsibull/ee_example.py docs/execution-environment.md $(EE_DIR)
	cp $(BUILD)/dist/lmsops-moodle-*.tar.gz $(EE_DIR)/
	cd $(EE_DIR) && $(abspath $(LINT_VENV))/bin/ansible-builder create --file execution-environment.yml \
	  --context context --output-filename Containerfile
	test -s $(EE_DIR)/context/Containerfile && ls $(EE_DIR)/context/_build
	@echo "ee: the definition validates; build context in $(EE_DIR)/context"

# Release notes: turn changelogs/fragments into changelogs/changelog.yaml and CHANGELOG.rst for the
# version in galaxy.yml. The fragments are consumed (keep_fragments: false): run it once, at release.
changelog-release: venv
	$(BIN)/antsibull-changelog release --version $$(sed -n 's/^version: *//p' galaxy.yml)
