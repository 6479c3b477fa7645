#!/usr/bin/env bash
# CI for the Headlamp plugin (ui/headlamp-plugin, docs/ui.md): npm ci, typecheck, lint, unit
# tests, the build and the tarball Headlamp installs, Headlamp's frontend (built with Vite
# from @kinvolk/headlamp-plugin's published lib/, cached), then the browser tier (tests/ui):
# Debian's chromium driven by playwright-core, the plugin inside Headlamp's frontend, against
# the local control plane with the operator, its webhook and the pod executor. Each step's
# time is printed.
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
step "typecheck Headlamp's frontend entry (harness)" node_modules/.bin/tsc --noEmit -p harness
step "lint (eslint, jsx-a11y)" npm run --silent lint
step "lint Headlamp's frontend entry (harness)" node_modules/.bin/eslint -c package.json --max-warnings 0 harness/headlamp.tsx
step "unit tests (vitest)" npm test --silent
step "build" npm run --silent build
rm -f ./*.tar.gz
step "package (headlamp-plugin package)" npm run --silent package
tarball=$(ls ./*.tar.gz)
version=$(node -p "require('./package.json').version")
grep -q "^version: $version\$" artifacthub-pkg.yml \
    || { echo "artifacthub-pkg.yml's version is not package.json's $version" >&2; exit 1; }
echo "    tarball $tarball sha256:$(sha256sum "$tarball" | cut -d' ' -f1) (for artifacthub-pkg.yml at release)"
step "Headlamp's frontend (Vite; cached in ~/.cache/dynamicjobs/headlamp-frontend)" bash harness/build.sh
cd "$ROOT"

step "browser tests (tests/ui)" ./dev test tests/ui
