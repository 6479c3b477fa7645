#!/usr/bin/env bash
# CI: runner pods as real containers from the image that .ci/image.sh built: the container
# tier, and the e2e tier with the local pod executor in its podman mode (./dev test runs
# the e2e tier again in the process mode, in which coverage.py follows the runner into its
# processes). pytest directly, not ./dev test: .ci/run has linted already, and runs this
# beside ./dev test, whose lint must not share mypy's cache with a second one. Root.
set -euo pipefail
cd "$(dirname "$0")/.."

image=localhost/dynamicjobs:$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
started=$(date +%s)
echo "==> tests: tests/containers tests/e2e, runner pods in podman containers from $image"
DYNAMICJOBS_POD_RUNTIME=podman DYNAMICJOBS_RUNNER_IMAGE=$image \
    .venv/bin/python -m pytest -p no:cacheprovider tests/containers tests/e2e
echo "container and e2e tiers in containers in $(( $(date +%s) - started ))s"
