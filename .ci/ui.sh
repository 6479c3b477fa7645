#!/usr/bin/env bash
# CI for the Headlamp plugin (ui/headlamp-plugin, docs/ui.md): npm ci, typecheck, lint, unit
# tests, the build and the tarball Headlamp installs, then the browser tier (tests/ui):
# Debian's chromium driven by playwright-core against the local control plane with the
# operator, its webhook and the pod executor. Each step's time is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PLUGIN=ui/headlamp-plugin

step() {
    local name=$1; shift
    local started=$(date +%s)
    echo "==> ui: $name"
    "$@"
    echo "    ui: $name took $(( $(date +%s) - started ))s"
}

if ! command -v chromium >/dev/null; then
    step "chromium (Debian package) for the browser tests" bash -c \
        'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null'
fi

cd "$PLUGIN"
step "npm ci" npm ci --no-audit --no-fund
step "typecheck (tsc --noEmit)" npm run --silent tsc
step "typecheck the test shell" node_modules/.bin/tsc --noEmit -p harness
step "lint (eslint, jsx-a11y)" npm run --silent lint
step "unit tests (vitest)" npm test --silent
step "build" npm run --silent build
rm -f ./*.tar.gz
step "package (headlamp-plugin package)" npm run --silent package
tarball=$(ls ./*.tar.gz)
version=$(node -p "require('./package.json').version")
grep -q "^version: $version\$" artifacthub-pkg.yml \
    || { echo "artifacthub-pkg.yml's version is not package.json's $version" >&2; exit 1; }
echo "    tarball $tarball sha256:$(sha256sum "$tarball" | cut -d' ' -f1) (for artifacthub-pkg.yml at release)"
cd "$ROOT"

step "browser tests (tests/ui)" ./dev test tests/ui
