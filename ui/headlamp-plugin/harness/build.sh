#!/usr/bin/env bash
# Builds Headlamp's frontend for the browser tests (harness/headlamp.tsx over
# @kinvolk/headlamp-plugin's published lib/, with Vite) into harness/dist. The build takes
# about a minute, so it is cached under ~/.cache/dynamicjobs/headlamp-frontend/, keyed on
# package-lock.json and this folder's sources.
set -euo pipefail
cd "$(dirname "$0")"
key=$(cat ../package-lock.json build.sh headlamp.tsx index.html vite.config.mjs | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/dynamicjobs/headlamp-frontend/$key
if [ ! -f "$cache/index.html" ]; then
    ../node_modules/.bin/vite build --config vite.config.mjs
    mkdir -p "$(dirname "$cache")"
    rm -rf "$cache.tmp" && cp -r dist "$cache.tmp" && rm -rf "$cache" && mv "$cache.tmp" "$cache"
    # Only the newest build is kept.
    find "$(dirname "$cache")" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
else
    rm -rf dist && cp -r "$cache" dist
    echo "Headlamp's frontend from the cache ($cache)"
fi
