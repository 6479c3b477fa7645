#!/usr/bin/env bash
# CI: build the image from the Dockerfile (./dev image), check the Dockerfile with hadolint
# and checkov, and check the chart's rendered objects with checkov. Installs the Debian
# packages it needs; run as root, like .ci/run, once .venv and the control-plane binaries
# (helm among them) are there. The base image, the checkers' virtualenv and podman's
# layers are cached, so a second run builds in seconds. The runner pods from this image are
# tested by .ci/containers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${DYNAMICJOBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dynamicjobs}

if ! command -v podman >/dev/null || ! command -v runc >/dev/null \
        || ! command -v mmdebstrap >/dev/null; then
    echo "==> installing podman, runc and mmdebstrap (Debian packages) for the image"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq podman runc mmdebstrap >/dev/null
fi

tools=$CACHE/image-tools/$(sha256sum image/tools.lock | cut -c1-12)
if [ ! -x "$tools/bin/checkov" ]; then
    echo "==> installing hadolint and checkov into $tools (image/tools.lock)"
    rm -rf "$tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check -r image/tools.lock
fi

echo "==> hadolint"
"$tools/bin/hadolint" Dockerfile
echo "==> checkov (skips are justified in the Dockerfile's checkov:skip comments)"
# --skip-download: no policy metadata from Prisma Cloud, which CI cannot reach anyway.
"$tools/bin/checkov" --quiet --compact --skip-download --framework dockerfile -f Dockerfile

started=$(date +%s)
./dev image
echo "image built in $(( $(date +%s) - started ))s"

# The chart's objects as they render (helm comes with the control-plane binaries), each
# tested scenario of helm/dynamicjobs/ci/. Skipped, each for its reason:
#   CKV_K8S_11  CPU limits: a CPU limit throttles the operator and its webhook under bursts;
#               the request is set, and operator.resources takes a limit where wanted.
#   CKV_K8S_15  pull policy Always: the schema refuses "latest" and image.digest pins one
#               image, so IfNotPresent pulls what Always would, without needing the registry
#               at every restart.
#   CKV_K8S_38  service-account token mounted: the operator talks to the API server.
#   CKV_K8S_43  image by digest: no image is published, so the default can only be a tag;
#               image.digest pins one (docs/image.md).
#   CKV2_K8S_6  a NetworkPolicy: webhook.networkPolicy makes one, off by default since the
#               API server's addresses depend on the cluster (docs/deployment.md).
echo "==> checkov on the chart's rendered objects"
helm=$(.venv/bin/python -c 'from local_cluster.binaries import ensure_binaries; print(ensure_binaries().helm)')
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
for values in helm/dynamicjobs/ci/*-values.yaml; do
    "$helm" template dynamicjobs helm/dynamicjobs --namespace dynamicjobs -f "$values" \
        >"$rendered/$(basename "$values")"
done
"$tools/bin/checkov" --quiet --compact --skip-download --framework kubernetes -d "$rendered" \
    --skip-check CKV_K8S_11,CKV_K8S_15,CKV_K8S_38,CKV_K8S_43,CKV2_K8S_6
