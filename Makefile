# MSSFC for QGIS. `make demo` and `make test` do their own set-up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     ?= .venv
PY       := $(VENV)/bin/python
BUILD    := build
PLUGINS  := $(BUILD)/plugins
SITE      = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
VERSION  := $(shell sed -n 's/^version=//p' metadata.txt)
QGIS_PROFILE ?= $(HOME)/.local/share/QGIS/QGIS3/profiles/default
export QT_QPA_PLATFORM ?= offscreen
export XDG_RUNTIME_DIR ?= /tmp/runtime-$(shell id -u)
PYTEST_ARGS ?=

.PHONY: help setup demo test test-slow lint format typecheck package install i18n bench clean

help:
	@echo "make demo     run every tool on the bundled demo scene -> demo-output/"
	@echo "make test     run the test suite (core + QGIS tiers)"
	@echo "make setup    install QGIS (apt), the venv and the plugin for qgis_process"
	@echo "make lint     ruff check + format check, mypy on the core"
	@echo "make package  build dist/mssfc_qgis-<version>.zip"
	@echo "make install  copy the plugin into your QGIS profile ($(QGIS_PROFILE))"
	@echo "make bench    run the benchmarks in bench/ and print their figures"

setup: $(VENV)/.installed
	@scripts/link_plugin.sh
	@mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	@rm -f $(HOME)/.local/share/QGIS/QGIS3/.mssfc_qgis-enabled && scripts/qgis_process plugins >/dev/null 2>&1 || true
	@echo "Set-up done. Headless: scripts/qgis_process list | grep mssfc"

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/install-system-deps.sh
	scripts/install-system-deps.sh
	test -x $(PY) || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: setup
	$(PY) scripts/demo.py --output demo-output

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: setup
	$(PY) -m pytest -m "slow" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy mssfc_qgis/core

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

i18n: setup
	$(PY) scripts/make_ts.py --output i18n/mssfc_qgis_en.ts

package: setup
	$(PY) scripts/package.py --output dist/mssfc_qgis-$(VERSION).zip

install: package
	mkdir -p $(QGIS_PROFILE)/python/plugins
	rm -rf $(QGIS_PROFILE)/python/plugins/mssfc_qgis
	cd $(QGIS_PROFILE)/python/plugins && unzip -q -o $(CURDIR)/dist/mssfc_qgis-$(VERSION).zip
	@echo "Installed into $(QGIS_PROFILE)/python/plugins/mssfc_qgis; enable it in Plugins > Manage and Install Plugins."

bench: setup
	$(PY) bench/engine.py
	$(PY) bench/newlybuilt.py
	$(PY) bench/model.py
	$(PY) bench/inference.py
	$(PY) bench/accuracy.py

clean:
	rm -rf $(BUILD) dist demo-output .pytest_cache .ruff_cache .mypy_cache
