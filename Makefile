# The two commands: `make up` (install what is missing, start the whole platform)
# and `make test` (run the tests against the real stack). See README.md.
PYTHON ?= python3
STACK  := $(PYTHON) devstack/stack.py
VENV   := .venv/bin

.PHONY: up down status infra test lint requirements tools deploy-check release images \
	cluster cluster-down cluster-test chaos

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

# The local three-zone Kubernetes cluster (devstack/cluster): builds what is missing,
# starts it, and releases Hearth through the zone overlays; prints the Ingress URL.
cluster: tools
	$(STACK) install
	$(PYTHON) devstack/cluster up

# Stops everything the cluster started; its state stays for the next `make cluster`.
cluster-down:
	$(PYTHON) devstack/cluster down

# Where the cluster's Ingress is, for the journeys (e2e/README.md).
CLUSTER_ENV := HEARTH_BASE_URL=https://hearth.local:30443 \
	HEARTH_RESOLVE=hearth.local:30443:127.0.0.1 HEARTH_CA_BUNDLE=var/cluster/tls/tls.crt \
	HEARTH_MAILDIR=var/cluster/mail HEARTH_KUBECONFIG=var/cluster/kubeconfig

# Requests a second: what three nodes sharing two cores serve with room to spare.
CHAOS_RATE ?= 5

# The journeys through the cluster's Ingress, then one node killed under load: the
# cluster stage CI is to run. The kill fails the stage when a loss check fails (a
# write, event or email lost, a duplicate); its latency and recovery are printed, not
# gated, since three nodes on two cores cannot meet them (docs/resilience.md).
cluster-test:
	$(CLUSTER_ENV) $(VENV)/python devstack/run_tests.py e2e
	$(VENV)/python -m devstack.chaos --target cluster --rate $(CHAOS_RATE) --gate losses \
		--kill "45 node-kill node-a 30"

# The issue's plan of kills under load (each zone, a network cut, the PostgreSQL
# primary's node, the Kafka controller's node), with the loss checks (devstack/chaos).
chaos:
	$(VENV)/python -m devstack.chaos --target cluster --rate $(CHAOS_RATE) --issue-plan
