#!/usr/bin/env bash
# CI: build the image from the Dockerfile (./dev image), check the Dockerfile with hadolint
# and checkov, and run runner pods as real containers from the image (the tests/containers
# and tests/e2e tiers). Installs the Debian packages it needs; run as root, like .ci/run.
# The base image, the checkers' virtualenv and podman's layers are cached, so a second run
# builds in seconds; the two test tiers take about 4 minutes (docs/image.md).
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

# Runner pods as real containers from that image: the container tier, and the e2e tier
# with the local pod executor in its podman mode. ./dev test keeps the process mode, in
# which coverage.py follows the runner into its processes.
image=localhost/dynamicjobs:$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
started=$(date +%s)
DYNAMICJOBS_POD_RUNTIME=podman DYNAMICJOBS_RUNNER_IMAGE=$image ./dev test tests/containers tests/e2e
echo "container and e2e tiers in containers in $(( $(date +%s) - started ))s"
