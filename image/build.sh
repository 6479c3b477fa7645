#!/usr/bin/env bash
# Build the image from the Dockerfile with podman, without Docker and without a registry
# (docs/image.md):
#   1. a base equivalent to python:3.11-slim, made from Debian packages by mmdebstrap and
#      kept in $CACHE/image-base/ under a hash of its recipe (so it is made once);
#   2. the Dockerfile itself, with that base as PYTHON_IMAGE.
# Usage: image/build.sh [IMAGE]   (default localhost/dynamicjobs:<version in pyproject.toml>)
# Needs root and Debian's podman, runc and mmdebstrap packages (.ci/image.sh installs them).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

SUITE=bookworm
SOURCES=(
    "deb http://deb.debian.org/debian $SUITE main"
    "deb http://deb.debian.org/debian $SUITE-updates main"
    "deb http://deb.debian.org/debian-security $SUITE-security main"
)
# What python:3.11-slim holds: Python 3.11 with venv and pip, `python` on PATH, the CA
# certificates, /etc/services and the time zone database. Debian bookworm's python3 is 3.11.
BASE_PACKAGES=python3,python3-venv,python-is-python3,ca-certificates,netbase,tzdata
# Like Debian's slim images: no documentation, manual pages or translations.
BASE_EXCLUDES=(
    "path-exclude=/usr/share/doc/*"
    "path-exclude=/usr/share/man/*"
    "path-exclude=/usr/share/info/*"
    "path-exclude=/usr/share/locale/*"
    "path-include=/usr/share/locale/locale.alias"
)
# Like Debian's container images: apt keeps no binary package caches (they would stay in a
# layer after `rm -rf /var/lib/apt/lists/*`), fetches no translations, and keeps its
# indexes compressed.
BASE_APT_OPTIONS=(
    'Dir::Cache::pkgcache ""'
    'Dir::Cache::srcpkgcache ""'
    'Acquire::Languages "none"'
    'Acquire::GzipIndexes "true"'
    'Acquire::CompressionTypes::Order:: "gz"'
)

VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
IMAGE=${1:-localhost/dynamicjobs:$VERSION}
CACHE=${DYNAMICJOBS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dynamicjobs}

# Traps of machines like CI's: crun refuses a hybrid cgroup layout (runc does not), there
# may be no systemd to manage cgroups or keep a journal, and podman's default rlimits can
# exceed the hard limits (runc then fails to start the container). nproc stays at podman's
# default of 32768 for builds even when the hard limit is higher: runc was refused 96363
# on a machine whose hard limit that was.
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs --events-backend file)
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

base_recipe() {
    printf '%s\n' "$SUITE" "${SOURCES[@]}" "$BASE_PACKAGES" "${BASE_EXCLUDES[@]}" \
        "${BASE_APT_OPTIONS[@]}"
    declare -f make_base_tarball
}

make_base_tarball() {
    local tarball=$1
    local options=()
    for exclude in "${BASE_EXCLUDES[@]}"; do options+=(--dpkgopt="$exclude"); done
    for option in "${BASE_APT_OPTIONS[@]}"; do options+=(--aptopt="$option"); done
    # The merged-usr hook sets up /usr the way debootstrap does; without it apt pulls in
    # the usrmerge package and with it Perl (50 MB). The options stay in the image
    # (/etc/dpkg/dpkg.cfg.d/99mmdebstrap, /etc/apt/apt.conf.d/99mmdebstrap), so they also
    # hold for the Dockerfile's apt-get.
    local partial=${tarball%.tar}.partial.tar  # mmdebstrap picks the format by the suffix
    mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        "${options[@]}" "$SUITE" "$partial" "${SOURCES[@]}" >"$tarball.log" 2>&1 \
        || { cat "$tarball.log" >&2; return 1; }
    mv "$partial" "$tarball"
}

ensure_base() {
    local hash tag tarball
    hash=$(base_recipe | sha256sum | cut -c1-12)
    tag=localhost/dynamicjobs-base:$SUITE-$hash
    tarball=$CACHE/image-base/$SUITE-$hash.tar
    if ! "${PODMAN[@]}" image exists "$tag"; then
        if [ ! -f "$tarball" ]; then
            echo "==> base: Debian $SUITE with $BASE_PACKAGES (mmdebstrap, once per recipe)" >&2
            mkdir -p "$(dirname "$tarball")"
            make_base_tarball "$tarball"
        fi
        echo "==> base: importing $tarball as $tag" >&2
        "${PODMAN[@]}" import --quiet \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'CMD ["python3"]' \
            "$tarball" "$tag" >/dev/null
    fi
    echo "$tag"
}

base=$(ensure_base)
echo "==> image: $IMAGE from the Dockerfile on $base"
"${PODMAN[@]}" build "${LIMITS[@]}" --network host --layers \
    --build-arg "PYTHON_IMAGE=$base" \
    --volume /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro \
    --build-arg PIP_CERT=/run/host-ca.crt \
    --tag "$IMAGE" .
"${PODMAN[@]}" image inspect --format '==> {{.RepoTags}} {{.Size}} bytes' "$IMAGE"
