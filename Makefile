# The two commands: `make up` (install what is missing, start the whole platform)
# and `make test` (run the tests against the real stack). See README.md.
PYTHON ?= python3
STACK  := $(PYTHON) devstack/stack.py
VENV   := .venv/bin

.PHONY: up down status infra test lint requirements tools deploy-check release images

up:
	$(STACK) up

down:
	$(STACK) down

status:
	$(STACK) status

infra:
	$(STACK) infra

# Images before the tests: the image and chart tests run what `make images` built.
test: up lint tools images
	$(VENV)/python devstack/run_tests.py

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports

# Every container image (containers/README.md), with podman; prints their sizes.
images:
	$(PYTHON) devstack/images.py

# Re-pin the requirements after editing a requirements/*.in file.
requirements:
	cd requirements && for f in base local production; do \
		../$(VENV)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras -o $$f.txt $$f.in; done

# The deploy tools (helm, conftest, actionlint), pinned, in var/tools/bin.
tools:
	$(PYTHON) devstack/tools.py

# The static deploy checks alone (also part of `make test`): helm lint and template,
# kustomize, Kubernetes 1.34 schemas, policies, actionlint. Offline.
deploy-check: tools
	$(VENV)/python -m pytest --ds=config.settings.kernel_tests helm/tests -q

# Build, push and install everything on the local cluster, zone by zone (devstack/release.py).
release: tools
	$(PYTHON) devstack/release.py deploy --target local
