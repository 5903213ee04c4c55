# Two commands do all set-up on a fresh Debian machine (Python 3.11, root):
#   make demo   trains and evaluates a few methods on real Fashion-MNIST-LT
#               (about 3.5 minutes on 2 cores; `make demo-full` runs more)
#   make test   runs the test suite
# Both build .venv with the pinned stack and install the Debian package
# dataset-fashion-mnist when it is missing; both are quick when it is there.
# `make test` also installs slurm-wlm and munge when missing, for the test
# that runs tools/slurm_*.sh on a one-node SLURM cluster (it skips without).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmlt-installed
FMNIST_SRC ?= /usr/share/datasets/fashion-mnist
FMNIST_ROOT ?= data/fashion_mnist
PYTEST_ARGS ?=
# Installs Debian packages (the names follow), through sudo unless root.
APT_INSTALL = sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: demo demo-full test lint venv data dataset-package slurm-packages \
	clean-venv

venv: $(STAMP)

# Re-installs only when the pinned stack or the package metadata change.
$(STAMP): requirements/pinned.txt requirements/runtime.txt setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-r requirements/pinned.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps \
		--no-build-isolation -e .
	@touch $@

dataset-package:
	@if [ ! -f $(FMNIST_SRC)/train-images-idx3-ubyte.gz ]; then \
		echo "Installing Debian's dataset-fashion-mnist"; \
		$(APT_INSTALL) dataset-fashion-mnist; \
	fi

# tests/test_tools/test_slurm.py starts a one-node SLURM cluster from these
# packages; where they cannot be installed, that test skips.
slurm-packages:
	@missing=""; for bin in slurmctld slurmd srun munged; do \
		PATH="$$PATH:/usr/sbin:/sbin" command -v $$bin >/dev/null || \
			missing="$$missing $$bin"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian's slurm-wlm and munge (missing:$$missing)"; \
		{ $(APT_INSTALL) slurm-wlm munge >/dev/null; } || \
		echo "Could not install slurm-wlm and munge; the SLURM test skips."; \
	fi

data: dataset-package $(STAMP)
	@$(PY) tools/dataset_converters/prepare_fashion_mnist.py \
		--src $(FMNIST_SRC) --out $(FMNIST_ROOT)

test: data slurm-packages
	$(PY) -m pytest tests $(PYTEST_ARGS)

demo: data
	$(PY) tools/demo.py

demo-full: data
	$(PY) tools/demo.py --full

# `make lint` runs the Python checks of .pre-commit-config.yaml (flake8,
# isort, yapf; settings in setup.cfg) on every Python file, changing none;
# not part of `make test`. It needs the hooks' versions, e.g.
#   python3 -m venv /tmp/lint && /tmp/lint/bin/pip install yapf==0.32.0 \
#       isort==5.11.5 flake8==7.0.0
#   make lint LINT_BIN=/tmp/lint/bin
# (LINT_BIN empty: the tools on PATH). `yapf -i -r` and `isort` fix in place.
LINT_BIN ?=
LINT_PATHS ?= mmlt tools tests configs .dev_scripts setup.py
lint_tool = $(if $(LINT_BIN),$(LINT_BIN)/$(1),$(1))

lint:
	@for tool in flake8 isort yapf; do \
		command -v $(call lint_tool,$$tool) >/dev/null || { \
			echo "make lint: $(call lint_tool,$$tool) not found; install" \
				"yapf==0.32.0 isort==5.11.5 flake8==7.0.0 and pass" \
				"LINT_BIN=<their bin folder>" >&2; exit 2; }; \
	done
	@status=0; \
	echo "flake8 $$($(call lint_tool,flake8) --version | head -1 | cut -d' ' -f1)"; \
	$(call lint_tool,flake8) $(LINT_PATHS) || status=1; \
	$(call lint_tool,isort) --version | grep -i 'version'; \
	$(call lint_tool,isort) --check-only --diff $(LINT_PATHS) || status=1; \
	$(call lint_tool,yapf) --version; \
	$(call lint_tool,yapf) --diff -r $(LINT_PATHS) || status=1; \
	if [ $$status = 0 ]; then echo "lint: clean"; fi; exit $$status

clean-venv:
	rm -rf $(VENV)
