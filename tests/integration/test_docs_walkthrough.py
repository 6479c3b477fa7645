"""The documentation's shell lines run as written, on the local control plane with the
operator (docs/testing.md, "Executed examples").

Every page with ``sh`` or ``console`` blocks is walked, one test per page, in the page's
order, in one working folder per page: each DynamicJob manifest of its YAML blocks is saved
as ``<name>.yaml``; each line of its ``sh`` blocks, each ``$ `` line of its ``console``
blocks and each ``run`` of its GitHub Actions steps runs in bash and must exit 0 (or, where
the transcript shows an ``error:``, fail and print it). A transcript's output is compared
(``...`` leaves text out) unless it is an example of a cluster's answer (`EXAMPLE_OUTPUT`).
What a page assumes is prepared first (`PAGES`): its namespaces, the example jobs and files
it names, the repository's ``examples/`` and ``helm/`` beside it, a kubeconfig whose
context is in team-a with a second context "production" (the same cluster), and ``helm``
as the real binary that the test tier builds. Usage brackets (``[--dry-run]``) are left
out when a line runs.

Lines that cannot run here are named in `NOT_RUN`, each with its reason; docs/testing.md
prints the same list, and tests/docs still checks them (their commands and flags).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from local_cluster import ControlPlane
from local_cluster.pod_executor import PodExecutor
from tests.docs.checks import matches, transcript
from tests.docs.site import DOCS, ROOT
from tests.docs.snippets import commands, logical_lines, snippets_of
from tests.kube.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("operator")]

WALKTHROUGH = DOCS / "admin-guide.md"
NAMESPACES = ("team-a", "support", "dynamicjobs")
Words = list[str]


def _program(words: Words) -> str:
    return next((w for w in words if not re.match(r"^[A-Z_]+=", w)), "")


WAITS = ("waiting for a run's end on the admin guide, whose job reads a PostgreSQL that is "
         "not here (runs.md and the README run theirs, with the pod executor)")
NOT_RUN: dict[str, Callable[[Words, str], bool]] = {
    "the wizard asks at a terminal": lambda w, line: w[:2] == ["dynamicjobs", "new"]
    and "--create" not in w and "--write" not in w,
    "kubectl edit opens an editor": lambda w, line: w[:2] == ["kubectl", "edit"],
    WAITS: lambda w, line: "--wait" in w,
    "reading a run's log, or a Deployment's rollout, needs a kubelet (the pod executor runs "
    "runner pods as processes but serves no logs, and runs no operator image)":
    lambda w, line: w[:2] == ["dynamicjobs", "logs"] or w[1:3] == ["rollout", "status"]
    or w[3:5] == ["rollout", "status"],
    "a line for zsh's ~/.zshrc, which bash cannot source (zsh is not installed)":
    lambda w, line: w[:3] == ["dynamicjobs", "completion", "zsh"],
    "starts a control plane, a test tier or a benchmark of its own": lambda w, line:
    (_program(w) == "./dev" and "image" not in w) or _program(w).endswith("pytest")
    or (Path(w[0]).name.startswith("python") and w[1:2] == ["-m"]
        and w[2].startswith("benchmarks")),
    "needs root, podman, a registry or npm (the .ci/ scripts run these)":
    lambda w, line: _program(w) in ("sudo", "podman", "skopeo", "buildah", "npm", "tar")
    or (_program(w) == "./dev" and "image" in w)
    or w[:2] in (["helm", "registry"], ["helm", "push"])
    or any(word.startswith("oci://") for word in w),
    "a placeholder for a path the dev cluster makes": lambda w, line: "..." in line,
    "installs dynamicjobs from the package index (the test runs the checkout's)":
    lambda w, line: w == ["pip", "install", "dynamicjobs"],
}
"""Why a line is not run here: a rule that holds for any command of the line."""

EXAMPLE_OUTPUT: dict[str, Callable[[Words], bool]] = {
    "ages, results and runs of an example cluster": lambda w:
    w[:2] in (["dynamicjobs", "list"], ["dynamicjobs", "history"])
    or (w[:3] == ["kubectl", "get", "dj"] and len(w) == 3)
    or (w[:2] == ["dynamicjobs", "import"] and "--dry-run" not in w),
}
"""Transcripts whose output is an example of a cluster's answer: run, not compared."""


def not_run_reason(line: str) -> str | None:
    found = commands(line)
    return next((reason for reason, rule in NOT_RUN.items()
                 if any(rule(words, line) for words in found)), None)


def _without_usage_brackets(line: str) -> str:
    return re.sub(r"\s*\[[^\]\[]*\]", "", line)


@dataclass(frozen=True)
class Step:
    kind: str          # "file", "run" or "skip"
    text: str          # the file's name and text, the line, or the reason
    line: str = ""     # for "skip": the line
    output: tuple[str, ...] | None = None  # a console transcript's output to compare


def steps(page: Path) -> Iterator[Step]:
    """The page's steps in order: its DynamicJob manifests saved, its lines run."""
    for snippet in snippets_of(page):
        if snippet.language == "yaml" and snippet.text.startswith("# GitHub Actions steps"):
            for ci_step in yaml.safe_load(snippet.text):
                for line in logical_lines(ci_step["run"]):
                    reason = not_run_reason(line)
                    yield Step("skip", reason, line) if reason else Step("run", line)
        elif snippet.language == "yaml":
            for doc in yaml.safe_load_all(snippet.text):
                if isinstance(doc, dict) and doc.get("kind") == "DynamicJob":
                    yield Step("file", f"{doc['metadata']['name']}.yaml\n{snippet.text}")
        elif snippet.language == "sh":
            for line in logical_lines(snippet.text):
                if not commands(line):
                    continue
                reason = not_run_reason(line)
                yield Step("skip", reason, line) if reason else \
                    Step("run", _without_usage_brackets(line))
        elif snippet.language == "console":
            for line, output in transcript(snippet.text):
                reason = not_run_reason(line)
                if reason:
                    yield Step("skip", reason, line)
                    continue
                words = commands(line)[0]
                example = any(rule(words) for rule in EXAMPLE_OUTPUT.values())
                while output and not output[-1].strip():
                    output = output[:-1]
                yield Step("run", _without_usage_brackets(line),
                           output=None if example or not output else tuple(output))


# ---------------------------------------------------------------- what the pages assume

def _admin_guide_job() -> str:
    """The admin guide's nightly-export, the job most pages name, in UTC."""
    for snippet in snippets_of(WALKTHROUGH):
        if snippet.language == "yaml" and "kind: DynamicJob" in snippet.text:
            return "\n".join(line for line in snippet.text.splitlines()
                             if not line.strip().startswith("timeZone:")) + "\n"
    raise AssertionError("admin-guide.md has no DynamicJob")


HOOK = {
    "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
    "metadata": {"name": "hook", "namespace": "team-a"},
    "spec": {"template": "webhook-trigger", "schedule": "0 2 * * *", "parameters": {
        "url": "https://ci.example.com/api/trigger",
        "headers": {"Authorization": {"secretRef": {"name": "ci-token", "key": "header"}}}}},
}
"""cli.md imports hook.yaml as a user who may not read the Secret it names."""


@dataclass
class Walk:
    """One page's working folder, environment and what to undo afterwards."""

    folder: Path
    env: dict[str, str]
    plane: ControlPlane
    api: client.ApiClient
    undo: list[list[str] | Callable[[], None]] = field(default_factory=list)
    user_env: dict[str, str] | None = None
    node: bool = False
    """Whether runner pods run (the pod executor): then the page's --wait lines run."""

    def sh(self, line: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", line], cwd=self.folder, env=env or self.env,
                              text=True, capture_output=True, timeout=180, check=False)

    def must(self, line: str) -> None:
        done = self.sh(line)
        assert done.returncode == 0, f"preparing: `{line}`:\n{done.stdout}\n{done.stderr}"

    def apply(self, text: str) -> None:
        (self.folder / ".seed.yaml").write_text(text)
        self.must("kubectl apply -f .seed.yaml >/dev/null && rm .seed.yaml")

    def write(self, name: str, text: str) -> None:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _nightly_export(walk: Walk) -> None:
    walk.apply(_admin_guide_job())
    walk.must("kubectl wait --for=condition=Ready dj/nightly-export -n team-a --timeout=60s")


PAYMENTS = {
    "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
    "metadata": {"name": "payments-heartbeat", "namespace": "team-a"},
    "spec": {"template": "heartbeat", "schedule": "*/5 * * * *", "tags": {"team": "payments"}},
}
"""cli.md selects the jobs tagged team=payments (imported: the CLI labels them)."""


def _cli(walk: Walk) -> None:
    _nightly_export(walk)
    walk.write(".payments.yaml", yaml.safe_dump(PAYMENTS))  # the CLI writes the tag labels
    walk.must("dynamicjobs import .payments.yaml >/dev/null")
    walk.write("hook.yaml", yaml.safe_dump(HOOK))
    walk.undo += [["kubectl", "delete", "clusterrole,clusterrolebinding",
                   "dynamicjobs-catalogue-reader", "--ignore-not-found"]]
    # The refusal on cli.md is answered to a user who may edit team-a's DynamicJobs but
    # not read its Secrets.
    walk.apply(yaml.safe_dump_all([
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "docs-dynamicjobs-editor", "namespace": "team-a"},
         "rules": [{"apiGroups": ["dynamicjobs.io"], "resources": ["dynamicjobs"],
                    "verbs": ["get", "list", "watch", "create", "update", "patch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "docs-dynamicjobs-editor", "namespace": "team-a"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": "docs-dynamicjobs-editor"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                       "name": "docs-editor"}]}]))
    walk.user_env = {**walk.env, "KUBECONFIG": str(_kubeconfig_with_contexts(
        walk.plane.user_kubeconfig("docs-editor"), walk.folder, "editor.kubeconfig"))}
    (walk.folder / "home" / ".config" / "fish" / "completions").mkdir(parents=True)


def _runnable_nightly_export(walk: Walk) -> None:
    """nightly-export as a job that can run here: the admin guide's, reading a SQLite file
    in the page's folder instead of a PostgreSQL, and writing into the folder; with the pod
    executor (a stand-in kubelet, local_cluster.PodExecutor) running its pods, until the
    page ends."""
    with sqlite3.connect(walk.folder / "orders.sqlite3") as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(i, i * 1.5) for i in range(20)])
    (walk.folder / "exports").mkdir()
    job = yaml.safe_load(_admin_guide_job())
    job["spec"]["parameters"]["source"] = {
        "connection": {"driver": "sqlite", "path": str(walk.folder / "orders.sqlite3")},
        "table": "orders"}
    job["spec"]["parameters"]["destination"] = {"directory": str(walk.folder / "exports"),
                                                "filename": "orders-{runId}.csv"}
    walk.apply(yaml.safe_dump(job))
    walk.must("kubectl wait --for=condition=Ready dj/nightly-export -n team-a --timeout=60s")
    (walk.folder / ".pods").mkdir()
    executor = PodExecutor(api_client=walk.api, server=walk.plane.server,
                           ca_cert=walk.plane.ca_cert, logs_dir=walk.folder / ".pods",
                           runtime=None).start()
    walk.undo.append(executor.stop)
    walk.node = True


def _runs(walk: Walk) -> None:
    _runnable_nightly_export(walk)
    walk.write("overrides.json", json.dumps({"format": "jsonl"}))


def _plugin(walk: Walk) -> None:
    """``pip install`` installs into a folder of the page's own, never into the test's
    environment, and offline: pip cannot fetch the plugin's build backend here, so the
    ``pip`` on the page's PATH has uv build the wheel (as tests/docs/test_template_plugin.py
    does) and install it there, without dependencies (dynamicjobs is the test's own)."""
    site = walk.folder / "site"
    uv = Path(sys.executable).parent / "uv"
    pip = walk.folder / ".bin" / "pip"
    pip.write_text(
        "#!/usr/bin/env bash\nset -e\n"
        '[ "$1" = install ] || exec python -m pip "$@"\nshift\n'
        'dist=$(mktemp -d)\n'
        f'{uv} build --offline --wheel --out-dir "$dist" "$@" >&2\n'
        f'exec {uv} pip install --offline --no-deps --python {sys.executable} '
        f'--target {site} "$dist"/*.whl\n')
    pip.chmod(0o755)
    walk.env["PYTHONPATH"] = str(site)
    backups = walk.folder / "backups"
    backups.mkdir()
    (backups / "orders-1.sql.gz").write_text("fresh")
    walk.write("params.json", json.dumps({"path": str(backups), "maxAgeHours": 26}))
    walk.write("manifests/freshness.yaml", yaml.safe_dump({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "backups-fresh", "namespace": "team-a"},
        "spec": {"template": "file-freshness", "schedule": "0 6 * * *",
                 "parameters": {"path": "/data/backups/orders", "maxAgeHours": 26}}}))


def _templates(walk: Walk) -> None:
    walk.write("params.json", json.dumps({"message": "tried locally"}))


def _validation(walk: Walk) -> None:
    """``./chart`` is a chart that makes DynamicJobs: the dynamicjobs chart with the
    migration's jobs as its values."""
    walk.write("nightly-export.yaml", _admin_guide_job())
    walk.write("deploy/nightly-export.yaml", _admin_guide_job())
    walk.write("clusters/production/jobs/nightly-export.yaml", _admin_guide_job())
    walk.must("cp -rL helm/dynamicjobs chart")
    values = walk.folder / "chart" / "values.yaml"
    jobs = (ROOT / "examples" / "migration" / "values.yaml").read_text()
    assert "\njobs: []\n" in values.read_text()
    values.write_text(values.read_text().replace("\njobs: []\n", "\n" + jobs))


def _migration(walk: Walk) -> None:
    walk.undo += [["helm", "uninstall", "dynamicjobs", "--namespace", "team-a"]]


def _deployment(walk: Walk) -> None:
    walk.undo += [["helm", "uninstall", "dynamicjobs", "--namespace", "dynamicjobs"]]


def _upgrade(walk: Walk) -> None:
    _nightly_export(walk)
    walk.must("helm install dynamicjobs helm/dynamicjobs --namespace dynamicjobs")
    walk.undo += [["helm", "uninstall", "dynamicjobs", "--namespace", "dynamicjobs"]]


def _readme(walk: Walk) -> None:
    _runnable_nightly_export(walk)
    walk.write("manifests/nightly-export.yaml", _admin_guide_job())


PAGES: dict[str, Callable[[Walk], None] | None] = {
    "admin-guide.md": None,
    "cli.md": _cli,
    "runs.md": _runs,
    "troubleshooting.md": _nightly_export,
    "schedules.md": None,
    "templates.md": _templates,
    "template-plugins.md": _plugin,
    "validation.md": _validation,
    "backup-restore.md": _nightly_export,
    "migration.md": _migration,
    "deployment.md": _deployment,
    "upgrade.md": _upgrade,
    "image.md": None,
    "performance.md": None,
    "ui.md": None,
    "README.md": _readme,
}
"""Each page with shell lines, and what it assumes beyond its namespaces."""


def _path(name: str) -> Path:
    return ROOT / name if name == "README.md" else DOCS / name


def _kubeconfig_with_contexts(base: Path, into: Path, name: str = "kubeconfig") -> Path:
    """``base``, its context's namespace team-a, and the same cluster once more as the
    context "production" (the admin guide's second cluster)."""
    config: dict[str, Any] = yaml.safe_load(base.read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    current["context"]["namespace"] = "team-a"
    config["contexts"].append({"name": "production", "context": dict(current["context"])})
    path = into / name
    path.write_text(yaml.safe_dump(config))
    return path


def _helm_on_path(folder: Path) -> Path:
    """``helm`` as the binary the tier builds, installing and upgrading the chart with its
    webhook off: its pod never runs here (no node), and a registered webhook without an
    endpoint would refuse every DynamicJob; the test's operator serves the webhook."""
    from local_cluster.binaries import ensure_binaries

    real = ensure_binaries().helm
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "helm"
    wrapper.write_text(
        "#!/usr/bin/env bash\n"
        f'case "$1" in install|upgrade) exec {real} "$@" --set webhook.enabled=false;; esac\n'
        f'exec {real} "$@"\n')
    wrapper.chmod(0o755)
    return bin_dir


@pytest.fixture(scope="module")
def page_namespaces(api_client: client.ApiClient) -> Iterator[None]:
    core = client.CoreV1Api(api_client)
    for name in NAMESPACES:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield
    for name in NAMESPACES:
        core.delete_namespace(name)


def _no_dynamicjobs_left(api: client.ApiClient) -> None:
    """Each page starts from namespaces without DynamicJobs, and no namespace of an
    earlier test still being deleted."""
    custom = client.CustomObjectsApi(api)
    for namespace in NAMESPACES:
        custom.delete_collection_namespaced_custom_object(
            "dynamicjobs.io", "v1alpha1", namespace, "dynamicjobs")

    def gone() -> bool:
        return all(not custom.list_namespaced_custom_object(
            "dynamicjobs.io", "v1alpha1", ns, "dynamicjobs")["items"] for ns in NAMESPACES)

    wait_for(gone, timeout=60, what="the DynamicJobs of the previous page to be deleted")

    def none_terminating() -> bool:  # `export -A` then `import` would write into them
        return all(ns.status.phase != "Terminating"
                   for ns in client.CoreV1Api(api).list_namespace().items)

    wait_for(none_terminating, timeout=120, what="earlier tests' namespaces to be deleted")


@pytest.fixture
def walk(page_namespaces: None, control_plane: ControlPlane, kubeconfig: Path,
         api_client: client.ApiClient, tmp_path: Path) -> Iterator[Walk]:
    _no_dynamicjobs_left(api_client)
    home = tmp_path / "home"
    home.mkdir()
    for name in ("examples", "helm", "ui"):
        (tmp_path / name).symlink_to(ROOT / name)
    path = os.pathsep.join([str(_helm_on_path(tmp_path)), str(Path(sys.executable).parent),
                            os.environ["PATH"]])
    env = {**os.environ, "KUBECONFIG": str(_kubeconfig_with_contexts(kubeconfig, tmp_path)),
           "PATH": path, "HOME": str(home)}
    walk = Walk(tmp_path, env, control_plane, api_client)
    yield walk
    for undo in walk.undo:
        if callable(undo):
            undo()
        else:
            subprocess.run(undo, cwd=tmp_path, env=env, capture_output=True, timeout=120,
                           check=False)


def test_every_page_with_shell_lines_is_walked() -> None:
    with_lines = {page.name for page in [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]
                  if any(s.language in ("sh", "console") for s in snippets_of(page))}
    assert with_lines == set(PAGES), "add the page to PAGES, with what it assumes"


def test_the_walkthroughs_leave_out_only_what_cannot_run() -> None:
    ran = [step.text for page in PAGES for step in steps(_path(page)) if step.kind == "run"]
    skipped = [step for page in PAGES for step in steps(_path(page)) if step.kind == "skip"]
    assert len(ran) >= 90, ran
    assert len(skipped) <= 35, [step.line for step in skipped]
    assert any(line.startswith("kubectl apply -f nightly-export.yaml") for line in ran)
    assert set(NOT_RUN) == {step.text for step in skipped}, "a reason that no line needs"


def test_the_exceptions_are_printed_in_testing_md() -> None:
    text = " ".join((DOCS / "testing.md").read_text().split())
    missing = [reason for reason in NOT_RUN if reason not in text]
    assert not missing, f"docs/testing.md must list why these lines do not run: {missing}"


@pytest.mark.parametrize("page", list(PAGES))
def test_the_page_runs_as_written(page: str, walk: Walk) -> None:
    prepare = PAGES[page]
    if prepare is not None:
        prepare(walk)
    for step in steps(_path(page)):
        if step.kind == "file":
            name, text = step.text.split("\n", 1)
            walk.write(name, text)
            continue
        if step.kind == "skip" and not (walk.node and step.text == WAITS):
            continue
        if step.kind == "skip":
            step = Step("run", _without_usage_brackets(step.line))
        env = walk.user_env if walk.user_env and "hook.yaml" in step.text else None
        done = walk.sh(step.text, env)
        said = f"{page}: `{step.text}` exited {done.returncode}\n" \
               f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        expected = "\n".join(line.rstrip() for line in step.output or ())
        fails = expected.lower().startswith("error:")
        assert (done.returncode != 0) == fails, said
        if step.output is None:
            continue
        if commands(step.text)[0][:2] == ["kubectl", "get"]:
            # A read shows the operator's status, which follows the line before it by a
            # moment (a suspend's reconcile): read again until it says what the page says.
            deadline = time.monotonic() + 15
            while not matches(expected, _printed(done)) and time.monotonic() < deadline:
                done = walk.sh(step.text, env)
        real = _printed(done)
        assert matches(expected, real), f"{page}: `{step.text}` printed:\n{real}\n" \
                                        f"the page says:\n{expected}"


def _printed(done: subprocess.CompletedProcess[str]) -> str:
    """What a command printed, as a transcript shows it: trailing blanks dropped."""
    return "\n".join(line.rstrip() for line in
                     (done.stdout + done.stderr).rstrip("\n").splitlines())
