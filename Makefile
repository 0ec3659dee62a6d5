# Credit platform: real-time fraud alerts and credit-risk scoring on Kubernetes.
# `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The project's Node.js (version in .node-version), installed from the npm registry into the build
# cache by infra/provision/node.sh and put first on PATH for every target, so a machine whose own
# Node is older still builds, tests and runs on this one (npm, npx and spawned processes included).
NODE_VERSION := $(strip $(file < .node-version))
CACHE_DIR := $(or $(CREDIT_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/credit-platform)
NODE_HOME := $(CACHE_DIR)/node-v$(NODE_VERSION)
NODE_STAMP := $(NODE_HOME)/.complete
export PATH := $(NODE_HOME)/bin:$(PATH)

TSX := node --import tsx
VITEST := npx vitest run

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: deps
deps: node_modules ## Install npm dependencies and the Debian packages the harness needs
	@bash infra/provision/apt.sh

node_modules: package.json package-lock.json $(NODE_STAMP)
	@echo "[deps] npm ci with Node.js $$(node --version) ($$(command -v node))"
	npm ci --no-audit --no-fund
	@touch node_modules

$(NODE_STAMP):
	@bash infra/provision/node.sh $(NODE_VERSION) $(CACHE_DIR)

.PHONY: node
node: $(NODE_STAMP) ## Install the project's Node.js into the cache and print where it is
	@echo "Node.js $$(node --version) at $$(command -v node)"

.PHONY: env
env: $(NODE_STAMP) ## Print the PATH line that puts the project's Node.js first (eval "$$(make -s env)")
	@echo 'export PATH="$(NODE_HOME)/bin:$$PATH"'

.PHONY: build
build: node_modules ## Type-check and compile TypeScript to dist/
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.build.json

.PHONY: crds
crds: node_modules ## Generate the CreditPipeline CRD (crds/, the chart's copy) and the chart's operator alert rules
	$(TSX) cdk8s/generate-crd.ts

.PHONY: render
render: node_modules ## Print what the operator would apply for each CreditPipeline in examples/ (RENDER_ARGS="--assume none")
	@for f in $$(grep -l '^kind: CreditPipeline$$' examples/*.yaml); do \
	  printf -- '---\n# Source: %s\n' "$$f"; \
	  $(TSX) cli/main.ts render -f "$$f" $(RENDER_ARGS) || exit 1; \
	done

.PHONY: lint
lint: node_modules ## Lint and check formatting (biome) and type-check
	npx biome check .
	npx tsc -p tsconfig.json --noEmit

.PHONY: format
format: node_modules ## Format the code in place
	npx biome format --write .

##@ Testing

.PHONY: test
test: node_modules ## Everything: lint, unit, integration and end-to-end tests (prints where the time went)
	@MAKE="$(MAKE)" bash infra/timed-stages.sh lint test-unit infra-up test-integration test-e2e

.PHONY: test-unit
test-unit: node_modules ## Unit tests (no servers)
	$(VITEST) --project unit

.PHONY: test-integration
test-integration: infra-up ## Integration tests against the real servers
	$(VITEST) --project integration

.PHONY: test-node
test-node: infra-up ## The node's own tests: restricted pods, DNS, volumes, monitoring, and infra-down restoring the host
	$(VITEST) --project node

.PHONY: test-e2e
test-e2e: infra-up ## End-to-end test: a smaller run of the demo path, every workload a pod on the node
	$(VITEST) --project e2e

.PHONY: policy
policy: infra-up ## kube-score over render output of the examples and the chart (also part of test-integration)
	$(VITEST) --project integration test/integration/policy

.PHONY: bench
bench: infra-up ## Run the benchmarks in bench/ (figures in bench/results/)
	@for b in bench/*/main.ts; do echo "== $$b"; $(TSX) $$b || exit 1; done

##@ Warehouse

.PHONY: load-outcomes
load-outcomes: node_modules ## Load loan outcomes into the warehouse: make load-outcomes FILE=outcomes.csv DATABASE_URL=postgres://… [ARGS=--dry-run]
	@test -n "$(FILE)" || { echo "usage: make load-outcomes FILE=outcomes.csv DATABASE_URL=postgres://… [ARGS=--dry-run]"; exit 2; }
	$(TSX) cli/main.ts load-outcomes --file "$(FILE)" $(ARGS)

##@ Local infrastructure

.PHONY: infra-up
infra-up: deps ## Start PostgreSQL, Kafka, the Mongo-wire server, Prometheus, the Kubernetes control plane and its node (CREDIT_NODE=off: no node)
	$(TSX) infra/up.ts

.PHONY: infra-down
infra-down: node_modules ## Stop every process infra-up started
	$(TSX) infra/down.ts

.PHONY: image
image: node_modules ## Build the platform image from the Dockerfile (buildah, no registry) and import it into the node
	$(TSX) infra/node/images.ts platform

.PHONY: infra-status
infra-status: node_modules ## Show which servers run and where they listen
	$(TSX) infra/status.ts

##@ Demo

.PHONY: demo
demo: node_modules ## The whole pipeline end to end on this machine as pods on the node, with a readable report
	@MAKE="$(MAKE)" bash infra/timed-stages.sh build-check infra-up demo-run

.PHONY: demo-run
demo-run: node_modules
	$(TSX) demo/main.ts $(DEMO_ARGS)

.PHONY: demo-adversarial
demo-adversarial: node_modules ## After `make demo`: held-out, out-of-order, clock-gaming traffic against its pipeline
	$(TSX) demo/held-out-main.ts $(ADVERSARIAL_ARGS)

.PHONY: demo-down
demo-down: infra-down ## Stop everything the demo started (its pods go with the node, then the servers)

.PHONY: build-check
build-check: node_modules
	@npx tsc -p tsconfig.json --noEmit

##@ Kind (needs Docker; not available on the development machine)

KIND_CLUSTER ?= credit-platform
IMAGE ?= ghcr.io/creditplatform/credit-platform:0.1.0

.PHONY: kind-up
kind-up: ## Create a kind cluster and install Strimzi and kube-prometheus-stack with Helm
	kind create cluster --name $(KIND_CLUSTER) --config deploy/kind/cluster.yaml
	helm repo add strimzi https://strimzi.io/charts/
	helm repo add prometheus-community https://prometheus-community.github.io/helm-charts
	helm upgrade --install strimzi strimzi/strimzi-kafka-operator -n strimzi --create-namespace --set watchAnyNamespace=true --wait
	helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack -n monitoring --create-namespace -f deploy/kind/kube-prometheus-stack-values.yaml --wait

.PHONY: kind-deploy
kind-deploy: ## Build the platform image, load it into kind, install the chart and the example pipeline
	docker build -t $(IMAGE) .
	kind load docker-image $(IMAGE) --name $(KIND_CLUSTER)
	helm upgrade --install credit-platform charts/credit-platform -n credit-system --create-namespace --wait
	kubectl create namespace lending --dry-run=client -o yaml | kubectl apply -f -
	kubectl apply -f examples/kafka.yaml -f examples/creditpipeline.yaml
	kubectl -n lending patch creditpipeline demo --type merge -p '{"spec":{"monitoring":{"grafanaDatasource":true}}}'
