# syntax=docker/dockerfile:1
# One image, two entry points:
#   operator (default):  python -m job_operator [kopf run flags]
#   runner (CronJob pods): python -m job_runner run --from-env
# Pin the base by digest in your registry mirror for reproducible builds:
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest> .
ARG PYTHON_IMAGE=python:3.11-slim
# Checks skipped by .ci/image.sh's checkov, each for its reason:
# checkov:skip=CKV_DOCKER_7: the base is this build argument: python:3.11-slim by default (a version tag), a content-hashed local tag from image/build.sh; checkov cannot resolve it
# checkov:skip=CKV_DOCKER_2: no HEALTHCHECK: Kubernetes ignores it; the chart's probes check the operator and runner pods are batch jobs

FROM ${PYTHON_IMAGE} AS build
# pip's CA bundle while building, for a TLS-inspecting proxy: image/build.sh mounts the
# host's bundle and names it here. A build argument of this stage never reaches the final
# image.
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/dynamicjobs
ENV PATH=/opt/dynamicjobs/bin:$PATH
WORKDIR /src
# Runtime dependencies first (no test tools), from their lock file, so that a code change
# reuses this layer.
COPY requirements-runtime.lock ./
RUN pip install --requirement requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY job_operator ./job_operator
COPY job_runner ./job_runner
# The project itself, without touching the locked dependencies; then pip and setuptools
# go: nothing installs packages at run time.
RUN pip install --no-deps . \
 && pip uninstall --yes pip setuptools \
 && python -m compileall -q /opt/dynamicjobs

FROM ${PYTHON_IMAGE}
ARG UID=65532
LABEL org.opencontainers.image.title="dynamicjobs" \
      org.opencontainers.image.description="dynamicjobs operator and runner" \
      org.opencontainers.image.licenses="Apache-2.0"
# Byte code is compiled at build time; at run time nothing is written beside the code, so
# the container works with readOnlyRootFilesystem and an emptyDir at /tmp.
# MALLOC_ARENA_MAX: the operator's handler threads would each get a malloc arena of their
# own, memory that is never given back; two arenas cut its RSS at 300 jobs by a tenth
# (benchmarks/load.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    PATH=/opt/dynamicjobs/bin:$PATH \
    HOME=/tmp
RUN groupadd --system --gid ${UID} dynamicjobs \
 && useradd --system --uid ${UID} --gid ${UID} --no-create-home --home-dir /tmp \
      --shell /usr/sbin/nologin dynamicjobs
# pg_dump for the backup template: Debian's PostgreSQL client tools only, no server.
# pg_dump refuses servers of a newer major version, so the major is pinned and named
# (docs/image.md): PostgreSQL servers up to 15. hadolint's DL3008 (exact versions) is
# skipped: Debian's archive drops a version when its security update arrives, so an exact
# pin would break the build instead of updating; the major is in the package's name.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install --yes --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/dynamicjobs /opt/dynamicjobs
WORKDIR /tmp
USER 65532:65532
EXPOSE 8080 9443
CMD ["python", "-m", "job_operator"]
