# Two commands matter: `make demo` and `make test`. Everything else is for development.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)

TEMPORAL_CLI_VERSION  := v1.5.1
# workflowcheck's newest release; it analyses sdk v1.51 workflows (it only needs the workflow package API).
WORKFLOWCHECK_VERSION := v0.6.0

.PHONY: tools build test demo vet fmt workflowcheck

## tools: install the temporal CLI (dev server + CLI) if it is missing
tools:
	@command -v temporal >/dev/null 2>&1 || { \
		echo "installing the temporal CLI $(TEMPORAL_CLI_VERSION) into $(GOBIN)"; \
		$(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION); }

## build: the worker, starter and awssim binaries into bin/
build:
	$(GO) build -o bin/ ./worker ./starter ./awssim

## test: every test, with the race detector, including the end-to-end runs on a dev server
test: tools
	$(GO) test -race -count=1 -timeout 30m ./...

## demo: dev server with UI, awssim and a worker, then a full DR drill (failover and failback) and its report
demo: tools
	./scripts/demo.sh

vet:
	$(GO) vet ./...

## fmt: gofmt every file in place
fmt:
	gofmt -l -w .

## workflowcheck: static determinism check of the workflow code
workflowcheck:
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION) -config .ci/workflowcheck.yaml ./workflows/...
