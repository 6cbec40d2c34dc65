# Two commands do all set-up on a fresh machine that has python3: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE := examples/churn/mlops.yaml

.PHONY: demo test lint lint-workflows lint-docker k8s-tools format schema bench bench-drift bench-proxy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mlops validate $(EXAMPLE)
	$(BIN)/mlops plan $(EXAMPLE) --stack dev

test: $(STAMP) lint-workflows lint-docker k8s-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy mlops_spec mlops_runtime mlops_preview mlops_components
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP) lint-workflows lint-docker
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy mlops_spec mlops_runtime mlops_preview mlops_components
	$(BIN)/lint-imports --no-cache

# The workflows, offline: actionlint (with shellcheck on every `run:` block) and zizmor, on this
# repository's workflows and those `mlops init --project` scaffolds (templates/*.yml.tmpl).
# shellcheck is Debian's package unpacked into the venv (no root needed when apt's lists
# exist; CI runs as root, so a fresh machine runs `apt-get update` first).
SHELLCHECK := $(VENV)/shellcheck/usr/bin/shellcheck
TEMPLATE_LINT := $(VENV)/template-lint/.github/workflows

$(SHELLCHECK): | $(BIN)/python
	rm -rf $(VENV)/shellcheck && mkdir -p $(VENV)/shellcheck
	cd $(VENV)/shellcheck && { apt-get download shellcheck 2>/dev/null || { apt-get update -qq && apt-get download shellcheck; }; }
	dpkg -x $(VENV)/shellcheck/shellcheck_*.deb $(VENV)/shellcheck
	rm -f $(VENV)/shellcheck/shellcheck_*.deb

lint-workflows: $(STAMP) $(SHELLCHECK)
	rm -rf $(TEMPLATE_LINT) && mkdir -p $(TEMPLATE_LINT)
	for t in mlops_spec/templates/*.yml.tmpl; do cp "$$t" $(TEMPLATE_LINT)/$$(basename "$$t" .tmpl); done
	$(BIN)/actionlint -shellcheck=$(CURDIR)/$(SHELLCHECK) .github/workflows/*.yml $(TEMPLATE_LINT)/*.yml
	$(BIN)/zizmor --offline --quiet .github/workflows $(TEMPLATE_LINT)

# The runtime image's Dockerfile (hadolint's binary comes in a wheel of the dev extra).
lint-docker: $(STAMP)
	$(BIN)/hadolint docker/runtime.Dockerfile

# The Kubernetes tests' tools, project-local in .tools/ (tests/k8s/tools.py finds them there):
# promtool and amtool from Debian's prometheus and prometheus-alertmanager packages, unpacked
# like shellcheck (no daemon runs), and checkov in a venv of its own (it pins an older boto3
# than the project's).
TOOLS    := .tools
PROMTOOL := $(TOOLS)/prometheus/usr/bin/promtool
CHECKOV  := $(TOOLS)/checkov/bin/checkov

$(PROMTOOL):
	rm -rf $(TOOLS)/prometheus && mkdir -p $(TOOLS)/prometheus
	cd $(TOOLS)/prometheus && { apt-get download prometheus prometheus-alertmanager 2>/dev/null || { apt-get update -qq && apt-get download prometheus prometheus-alertmanager; }; }
	for deb in $(TOOLS)/prometheus/*.deb; do dpkg -x "$$deb" $(TOOLS)/prometheus; done
	rm -f $(TOOLS)/prometheus/*.deb

$(CHECKOV):
	rm -rf $(TOOLS)/checkov
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/python -m pip install --quiet 'checkov>=3.3,<4'

k8s-tools: $(PROMTOOL) $(CHECKOV)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)
	$(BIN)/mlops schema -o schema/mlops-spec.v1.schema.json

bench: $(STAMP)
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/plan.py

# Latency the mlops-proxy sidecar adds (loopback, about half a minute, stops by itself).
bench-proxy: $(STAMP)
	$(BIN)/python benchmarks/proxy.py

# The drift peers pin old numpy; they live in their own venv, never in the project's.
bench-drift:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -e '.[bench]'
	.venv-bench/bin/python benchmarks/drift.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .hypothesis build *.egg-info
