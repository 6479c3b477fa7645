"""The Helm chart and the Dockerfile, checked without a cluster.

The chart is rendered with the real helm binary (built into the cache by
`local_cluster.binaries`, found at fixture time, never at import time) and every object is
checked against the Kubernetes 1.37 OpenAPI schemas with kubernetes-validate.
"""

from __future__ import annotations

import base64
import filecmp
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from job_operator.validation import validate_dynamicjob

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "dynamicjobs"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
KUBE_VERSION = "1.37.0"
NOT_IN_KUBERNETES_SCHEMAS = {"DynamicJob", "Certificate", "Issuer", "ServiceMonitor",
                             "PrometheusRule"}
"""Kinds kubernetes-validate has no schema for: custom resources (ours, cert-manager's and
prometheus-operator's)."""

Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def helm() -> Path:
    from local_cluster.binaries import ensure_binaries

    return ensure_binaries().helm


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm), *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """``render(*helm_args)``: the chart's objects as dicts, failing on a helm error."""

    def run(*args: str, namespace: str = "ops") -> list[dict[str, Any]]:
        result = run_helm(
            helm, "template", "rel", str(CHART), "--namespace", namespace,
            "--kube-version", KUBE_VERSION, *args,
        )
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return run


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def only(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = of_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def rules_of(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for obj in objects:
        if obj["kind"] in ("ClusterRole", "Role"):
            for rule in obj.get("rules", []):
                yield f"{obj['kind']}/{obj['metadata']['name']}", rule


LEADER_ELECTION = "-leader-election"


def watched_namespace_roles(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Roles of the watched namespaces (not the leader-election one)."""
    return [role for role in of_kind(objects, "Role")
            if not role["metadata"]["name"].endswith(LEADER_ELECTION)]


def env_of(deployment: dict[str, Any]) -> dict[str, Any]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


# --- lint and schema ------------------------------------------------------------------


def test_lint_strict_with_default_values(helm: Path) -> None:
    result = run_helm(helm, "lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda path: path.name)
def test_lint_strict_with_each_ci_scenario(helm: Path, values: Path) -> None:
    result = run_helm(
        helm, "lint", "--strict", str(CHART), "-f", str(values), "--kube-version", KUBE_VERSION
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ci_scenarios_exist() -> None:
    assert {path.name for path in CI_VALUES} == {
        "default-values.yaml", "namespaced-watch-values.yaml",
        "cert-manager-values.yaml", "jobs-values.yaml", "monitoring-values.yaml",
    }


@pytest.mark.parametrize(("flag", "named"), [
    ("replicaCout=1", "replicaCout"),
    ("webhook.failurePolicyy=Ignore", "failurePolicyy"),
    ("webhook.certificate.sorce=helm", "sorce"),
    ("operator.nodeSelectr.a=b", "nodeSelectr"),
    ("jobs[0].name=a,jobs[0].template=heartbeat,jobs[0].schedule=@daily,jobs[0].schedul=x",
     "schedul"),
])
def test_a_misspelt_key_fails_naming_it(helm: Path, flag: str, named: str) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      "--set", flag)
    assert result.returncode != 0
    assert f"'{named}' not allowed" in result.stderr, result.stderr


@pytest.mark.parametrize("flag", [
    "image.tag=latest", "replicaCount=11", "webhook.failurePolicy=fail",
    "webhook.certificate.source=vault", "runner.webhookPolicy.allowCidrs[0]=internal",
])
def test_a_bad_value_fails(helm: Path, flag: str) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      "--set", flag)
    assert result.returncode != 0, f"{flag} was accepted"
    assert "values don't meet the specifications" in result.stderr, result.stderr


def _schema_objects(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield path, node
        for key, value in node.get("properties", {}).items():
            yield from _schema_objects(value, f"{path}.{key}")
        if isinstance(node.get("items"), dict):
            yield from _schema_objects(node["items"], f"{path}[]")


def test_every_object_in_the_schema_is_closed_or_typed() -> None:
    """additionalProperties false, or a typed map (labels), or free-form by design."""
    schema = yaml.safe_load((CHART / "values.schema.json").read_text())
    free_form = {".global", ".jobs[].parameters", ".operator.extraEnv[].valueFrom",
                 ".operator.affinity.nodeAffinity", ".operator.affinity.podAffinity",
                 ".operator.affinity.podAntiAffinity"}
    open_objects = [
        path for path, node in _schema_objects(schema)
        if path not in free_form
        and node.get("additionalProperties") is not False
        and not isinstance(node.get("additionalProperties"), dict)
    ]
    assert open_objects == []


def test_values_declared_jobs_accept_every_spec_field_of_the_crd() -> None:
    schema = yaml.safe_load((CHART / "values.schema.json").read_text())
    job_keys = set(schema["properties"]["jobs"]["items"]["properties"])
    crd = yaml.safe_load((REPO / "crds" / "dynamicjobs.io_dynamicjobs.yaml").read_text())
    version = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec_keys = set(version["properties"]["spec"]["properties"])
    assert spec_keys - job_keys == set(), "add these spec fields to jobs[] in values.schema.json"
    assert job_keys - spec_keys == {"name", "namespace", "labels", "annotations"}
    ours = schema["properties"]["jobs"]["items"]["properties"]["notifications"]["properties"]
    theirs = version["properties"]["spec"]["properties"]["notifications"]["properties"]
    assert set(ours) == set(theirs), "notifications in values.schema.json differ from the CRD"


def _comment_above(lines: list[str], number: int) -> list[str]:
    block = []
    for previous in reversed(lines[:number]):
        if not previous.strip().startswith("#"):
            break
        block.append(previous)
    return block


def test_every_value_has_a_comment_with_an_example() -> None:
    """cert-manager's style: each key is preceded by a comment with an example, or is a
    field of a value (like resources.requests.cpu) whose own comment has the example."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    documented: dict[int, bool] = {}  # indentation -> whether the open key there has one
    missing = []
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z]+):\s*(\S.*)?$", line)
        if not match:
            continue
        indent = len(match.group(1))
        block = _comment_above(lines, number)
        has_example = any("Example" in comment for comment in block)
        has_sentence = any(comment.strip().rstrip().endswith(".") for comment in block)
        parent_has = any(ok for level, ok in documented.items() if level < indent)
        documented = {level: ok for level, ok in documented.items() if level < indent}
        documented[indent] = has_example
        is_leaf = match.group(3) is not None
        if is_leaf and not parent_has and not (has_example and has_sentence):
            missing.append(match.group(2))
    assert missing == []


# --- rendered objects ------------------------------------------------------------------


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda path: path.name)
def test_every_rendered_object_passes_kubernetes_validate(render: Render, values: Path) -> None:
    skipped = set()
    for obj in render("-f", str(values)):
        try:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            skipped.add(obj["kind"])
    assert skipped <= NOT_IN_KUBERNETES_SCHEMAS


def test_the_crds_validate_too() -> None:
    for path in sorted((CHART / "crds").glob("*.yaml")):
        kubernetes_validate.validate(yaml.safe_load(path.read_text()), KUBE_VERSION, strict=True)


def test_chart_crds_are_a_copy_of_the_repository_crds() -> None:
    ours = sorted(path.name for path in (CHART / "crds").iterdir())
    theirs = sorted(path.name for path in (REPO / "crds").iterdir())
    message = (
        "helm/dynamicjobs/crds/ differs from crds/: regenerate with "
        "`python -m job_operator.crdgen` (it writes both)"
    )
    assert ours == theirs, message
    for name in theirs:
        same = filecmp.cmp(CHART / "crds" / name, REPO / "crds" / name, shallow=False)
        assert same, f"{name}: {message}"


def test_standard_labels_on_every_object(render: Render) -> None:
    for obj in render("-f", str(CHART / "ci" / "jobs-values.yaml")):
        labels = obj["metadata"]["labels"]
        assert labels["helm.sh/chart"] == "dynamicjobs-0.1.0"
        assert labels["app.kubernetes.io/name"] == "dynamicjobs"
        assert labels["app.kubernetes.io/instance"] == "rel"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"] == "0.1.0"


def test_deployment_pod_meets_the_restricted_pod_security_standard(render: Render) -> None:
    pod = only(render(), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")
    mounts_by_volume = {}
    for container in pod["containers"] + pod.get("initContainers", []):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["readOnlyRootFilesystem"] is True
        assert context.get("privileged") is not True
        assert context.get("runAsUser", 65532) != 0
        assert not any(port.get("hostPort") for port in container.get("ports", []))
        mounts_by_volume.update({m["name"]: m["mountPath"] for m in container["volumeMounts"]})
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert mounts_by_volume["tmp"] == "/tmp"
    assert "emptyDir" in volumes["tmp"]
    allowed = {"emptyDir", "secret", "configMap", "projected", "downwardAPI",
               "persistentVolumeClaim", "ephemeral", "csi"}
    for volume in volumes.values():
        assert set(volume) - {"name"} <= allowed, volume


def test_operator_command_flags_and_probes(render: Render) -> None:
    deployment = only(render(), "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "job_operator"]
    assert container["args"] == ["--all-namespaces", "--liveness=http://0.0.0.0:8080/healthz"]
    assert "--standalone" not in container["args"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["tcpSocket"] == {"port": "webhook"}
    assert {"name": "health", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "128Mi"}


def test_operator_environment(render: Render) -> None:
    env = env_of(only(render(), "Deployment"))
    assert env["DYNAMICJOBS_RUNNER_IMAGE"] == "ghcr.io/dynamicjobs/dynamicjobs:0.1.0"
    assert env["DYNAMICJOBS_IMAGE_PULL_POLICY"] == "IfNotPresent"
    assert env["DYNAMICJOBS_DRIFT_CHECK_SECONDS"] == "60"
    assert env["DYNAMICJOBS_WEBHOOK_PORT"] == "9443"
    assert env["DYNAMICJOBS_WEBHOOK_CERTFILE"] == "/etc/dynamicjobs/webhook-tls/tls.crt"
    assert env["DYNAMICJOBS_WEBHOOK_KEYFILE"] == "/etc/dynamicjobs/webhook-tls/tls.key"
    assert env["DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS"] == ""


def test_replicas_elect_a_leader_through_a_lease_the_operator_reads(render: Render) -> None:
    from job_operator.election.leader import LeaseSettings

    objects = render("--set", "replicaCount=2", "--set", "leaderElection.leaseDurationSeconds=30")
    deployment = only(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    env = env_of(deployment)
    assert env["DYNAMICJOBS_LEASE_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    plain = {k: v for k, v in env.items() if isinstance(v, str)}
    lease = LeaseSettings.from_env({**plain, "DYNAMICJOBS_LEASE_NAMESPACE": "ops"})
    assert lease is not None
    assert (lease.name, lease.namespace, lease.lease_seconds) == ("rel-dynamicjobs", "ops", 30)
    role = next(r for r in of_kind(objects, "Role")
                if r["metadata"]["name"] == "rel-dynamicjobs-leader-election")
    assert role["metadata"]["namespace"] == "ops"
    assert role["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
         "resourceNames": ["rel-dynamicjobs"], "verbs": ["get", "update"]},
    ]


def test_without_leader_election_one_replica_at_most_and_recreate(
    render: Render, helm: Path
) -> None:
    deployment = only(render("--set", "leaderElection.enabled=false"), "Deployment")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert "DYNAMICJOBS_LEASE_NAME" not in env_of(deployment)
    two = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                   "--set", "leaderElection.enabled=false", "--set", "replicaCount=2")
    assert two.returncode != 0 and "replicaCount" in two.stderr


def test_lease_timings_that_could_make_two_leaders_fail(helm: Path) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      "--set", "leaderElection.renewDeadlineSeconds=20")
    assert result.returncode != 0
    assert "retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds" in result.stderr


def test_operator_settings_read_what_the_chart_sets(render: Render) -> None:
    from job_operator.settings import Settings

    env = env_of(only(render("--set", "operator.driftCheckSeconds=300",
                             "--set", "runner.image.repository=reg/runner",
                             "--set", "runner.image.tag=9.9.9",
                             "--set", "runner.pullPolicy=Always"), "Deployment"))
    settings = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    assert settings.runner_image == "reg/runner:9.9.9"
    assert settings.image_pull_policy == "Always"
    assert settings.drift_check_seconds == 300
    assert settings.webhook is not None
    assert settings.webhook.port == 9443
    assert settings.webhook.address == "0.0.0.0"


def test_runner_network_policy_values_reach_the_operator(render: Render) -> None:
    env = env_of(only(render("-f", str(CHART / "ci" / "jobs-values.yaml")), "Deployment"))
    assert env["DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS"] == "10.20.0.0/16"
    assert env["DYNAMICJOBS_WEBHOOK_DENY_CIDRS"] == "10.20.99.0/24"


def test_runner_pods_receive_the_network_policy_the_chart_sets(render: Render) -> None:
    """End to end without a cluster: values -> operator env -> Settings -> runner pod env."""
    from job_operator.builders import build_pod_spec
    from job_operator.settings import Settings
    from job_runner.api import DynamicJob

    env = env_of(only(render("-f", str(CHART / "ci" / "jobs-values.yaml")), "Deployment"))
    settings = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "hook", "namespace": "ops", "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily"},
    })
    runner_env = build_pod_spec(job, settings)["containers"][0]["env"]
    assert {"name": "DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS", "value": "10.20.0.0/16"} in runner_env
    assert {"name": "DYNAMICJOBS_WEBHOOK_DENY_CIDRS", "value": "10.20.99.0/24"} in runner_env


def test_destination_roots_reach_the_runner_pods(render: Render) -> None:
    """values -> operator env -> Settings -> runner pod env, default and set."""
    from job_operator.builders import build_pod_spec
    from job_operator.settings import Settings
    from job_runner.api import DynamicJob

    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "export", "namespace": "ops", "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily"},
    })
    for flags, expected in (((), "/data"),
                            (("--set", "runner.destinationRoots={/exports,/backups}"),
                             "/exports,/backups")):
        env = env_of(only(render(*flags), "Deployment"))
        assert env["DYNAMICJOBS_DESTINATION_ROOTS"] == expected
        settings = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
        runner_env = build_pod_spec(job, settings)["containers"][0]["env"]
        assert {"name": "DYNAMICJOBS_DESTINATION_ROOTS", "value": expected} in runner_env


@pytest.mark.parametrize("flag", ["runner.destinationRoots=null", "runner.destinationRoots={}",
                                  "runner.destinationRoots={relative/dir}"])
def test_destination_roots_must_be_absolute_and_at_least_one(helm: Path, flag: str) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      "--set", flag)
    assert result.returncode != 0, f"{flag} was accepted"


def test_namespaced_watch_flags(render: Render) -> None:
    objects = render("-f", str(CHART / "ci" / "namespaced-watch-values.yaml"))
    container = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:2] == ["--namespace=team-a", "--namespace=team-b"]
    assert "--all-namespaces" not in container["args"]


def test_image_digest_wins_over_the_tag(render: Render) -> None:
    digest = "sha256:" + "ab" * 32
    deployment = only(render("--set", f"image.digest={digest}"), "Deployment")
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"ghcr.io/dynamicjobs/dynamicjobs@{digest}"


def test_scheduling_values_reach_the_pod(render: Render) -> None:
    pod = only(render(
        "--set", "operator.priorityClassName=system-cluster-critical",
        "--set", "operator.nodeSelector.kubernetes\\.io/os=linux",
        "--set", "operator.tolerations[0].key=dedicated",
        "--set", "operator.tolerations[0].operator=Exists",
    ), "Deployment")["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]


def test_runner_pod_placement_reaches_the_cronjobs(render: Render) -> None:
    """values -> operator env -> Settings -> the CronJob's pod, checked by kubernetes-validate."""
    from job_operator.builders import build_cronjob
    from job_operator.settings import Settings
    from job_runner.api import DynamicJob

    env = env_of(only(render(
        "--set", "runner.imagePullSecrets[0].name=registry-a",
        "--set", "runner.nodeSelector.pool=batch",
        "--set", "runner.tolerations[0].key=dedicated",
        "--set", "runner.tolerations[0].operator=Exists",
        "--set", "runner.tolerations[0].effect=NoSchedule",
        "--set", "runner.priorityClassName=batch-low",
        "--set", "runner.resources.requests.cpu=100m",
        "--set", "runner.resources.limits=null",
    ), "Deployment"))
    settings = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ops", "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily"},
    })
    cronjob = build_cronjob(job, settings)
    kubernetes_validate.validate(cronjob, KUBE_VERSION, strict=True)
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry-a"}]
    assert pod["nodeSelector"] == {"pool": "batch"}
    assert pod["tolerations"] == [
        {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["priorityClassName"] == "batch-low"
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "100m", "memory": "64Mi"}}


def test_the_default_runner_resources_are_the_dynamicjob_models_defaults(
    render: Render,
) -> None:
    """Installing the chart changes no CronJob built without it."""
    from job_operator.builders import build_pod_spec
    from job_operator.settings import Settings
    from job_runner.api import DynamicJob

    env = env_of(only(render(), "Deployment"))
    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ops", "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily"},
    })
    charted = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    bare = Settings.from_env({"DYNAMICJOBS_RUNNER_IMAGE": charted.runner_image})
    assert (build_pod_spec(job, charted)["containers"][0]["resources"]
            == build_pod_spec(job, bare)["containers"][0]["resources"])


@pytest.mark.parametrize("flag", [
    "runner.resources.requests.gpu=1",
    "runner.resources.limits.memory=lots",
    "runner.imagePullSecrets[0].nam=a",
    "runner.tolerations[0].operator=Maybe",
    "runner.nodeSelector.pool=null",
])
def test_a_bad_runner_placement_value_fails(helm: Path, flag: str) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      "--set", flag)
    assert result.returncode != 0, f"{flag} was accepted"


# --- RBAC ------------------------------------------------------------------------------


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda path: path.name)
def test_no_rbac_rule_has_a_wildcard_or_mentions_secrets(render: Render, values: Path) -> None:
    rules = list(rules_of(render("-f", str(values))))
    assert rules
    for where, rule in rules:
        words = [*rule.get("apiGroups", []), *rule.get("resources", []), *rule["verbs"],
                 *rule.get("resourceNames", []), *rule.get("nonResourceURLs", [])]
        assert not any("*" in word for word in words), f"{where}: {rule}"
        assert not any("secret" in word for word in rule.get("resources", [])), where


def _grants(rules: list[dict[str, Any]], group: str, resource: str) -> set[str]:
    verbs: set[str] = set()
    for rule in rules:
        if group in rule.get("apiGroups", []) and resource in rule.get("resources", []):
            verbs |= set(rule["verbs"])
    return verbs


OPERATOR_NEEDS = {
    ("dynamicjobs.io", "dynamicjobs"): {"get", "list", "watch"},
    ("dynamicjobs.io", "dynamicjobs/status"): {"get", "patch"},
    ("batch", "cronjobs"): {"get", "list", "watch", "create", "update", "delete"},
    ("batch", "jobs"): {"get", "list", "watch", "create"},
    ("", "pods"): {"list"},
    ("", "events"): {"create"},
    ("", "serviceaccounts"): set(),
    ("rbac.authorization.k8s.io", "roles"): set(),
    ("rbac.authorization.k8s.io", "rolebindings"): set(),
}
"""Runner pods hold no credentials (they report in their termination message), so the
operator makes no ServiceAccount, Role or RoleBinding and may not."""
CLUSTER_NEEDS = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): {"get", "list", "watch"},
    ("", "namespaces"): {"list", "watch"},
    ("dynamicjobs.io", "dynamicjobtemplates"): {"get", "list", "watch", "create", "patch",
                                                "delete"},
    ("authorization.k8s.io", "subjectaccessreviews"): {"create"},
}


def test_cluster_wide_rbac_grants_exactly_what_the_operator_needs(render: Render) -> None:
    objects = render()
    roles = {obj["metadata"]["name"]: obj for obj in of_kind(objects, "ClusterRole")}
    assert watched_namespace_roles(objects) == []
    namespaced = roles["rel-dynamicjobs-namespaced"]["rules"]
    cluster = roles["rel-dynamicjobs-cluster"]["rules"]
    for (group, resource), verbs in OPERATOR_NEEDS.items():
        assert _grants(namespaced, group, resource) == verbs, resource
    for (group, resource), verbs in CLUSTER_NEEDS.items():
        assert _grants(cluster, group, resource) == verbs, resource
    assert _grants(namespaced, "dynamicjobs.io", "dynamicjobs").isdisjoint({"create", "delete"})
    bindings = {obj["roleRef"]["name"]: obj for obj in of_kind(objects, "ClusterRoleBinding")
                if obj["roleRef"]["name"] != "rel-dynamicjobs-catalogue-reader"}
    assert set(bindings) == {"rel-dynamicjobs-namespaced", "rel-dynamicjobs-cluster"}
    for binding in bindings.values():
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "rel-dynamicjobs", "namespace": "ops"}
        ]


def test_namespaced_watch_uses_a_role_per_namespace(render: Render) -> None:
    objects = render("-f", str(CHART / "ci" / "namespaced-watch-values.yaml"))
    roles = watched_namespace_roles(objects)
    assert sorted(role["metadata"]["namespace"] for role in roles) == ["team-a", "team-b"]
    for role in roles:
        for (group, resource), verbs in OPERATOR_NEEDS.items():
            assert _grants(role["rules"], group, resource) == verbs
    bindings = [binding for binding in of_kind(objects, "RoleBinding")
                if not binding["metadata"]["name"].endswith(LEADER_ELECTION)]
    assert sorted(binding["metadata"]["namespace"] for binding in bindings) == [
        "team-a", "team-b"]
    cluster_roles = {obj["metadata"]["name"]: obj for obj in of_kind(objects, "ClusterRole")}
    assert "rel-dynamicjobs-namespaced" not in cluster_roles
    cluster = cluster_roles["rel-dynamicjobs-cluster"]["rules"]
    for (group, resource), verbs in CLUSTER_NEEDS.items():
        assert _grants(cluster, group, resource) == verbs
    assert _grants(cluster, "batch", "cronjobs") == set()
    assert _grants(cluster, "dynamicjobs.io", "dynamicjobs") == set()


def test_aggregated_user_roles(render: Render) -> None:
    roles = {obj["metadata"]["name"]: obj for obj in of_kind(render(), "ClusterRole")}
    edit, view = roles["rel-dynamicjobs-edit"], roles["rel-dynamicjobs-view"]
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert _grants(edit["rules"], "dynamicjobs.io", "dynamicjobs") >= {
        "get", "list", "watch", "create", "update", "patch", "delete"}
    assert _grants(edit["rules"], "dynamicjobs.io", "dynamicjobs/status") == set()
    assert _grants(view["rules"], "dynamicjobs.io", "dynamicjobs") == {"get", "list", "watch"}
    assert _grants(view["rules"], "dynamicjobs.io", "dynamicjobtemplates") == {
        "get", "list", "watch"}
    off = render("--set", "rbac.aggregateToDefaultRoles=false")
    assert "rel-dynamicjobs-edit" not in {o["metadata"]["name"] for o in off}


# --- webhook -----------------------------------------------------------------------------


def test_webhook_configuration(render: Render) -> None:
    objects = render()
    config = only(objects, "ValidatingWebhookConfiguration")
    (webhook,) = config["webhooks"]
    assert webhook["rules"] == [{
        "apiGroups": ["dynamicjobs.io"], "apiVersions": ["v1alpha1"],
        "resources": ["dynamicjobs"], "operations": ["CREATE", "UPDATE"], "scope": "Namespaced",
    }]
    assert webhook["failurePolicy"] == "Fail"
    assert webhook["sideEffects"] == "None"
    assert webhook["admissionReviewVersions"] == ["v1"]
    assert webhook["timeoutSeconds"] == 10
    service = only(objects, "Service")
    assert webhook["clientConfig"]["service"] == {
        "name": service["metadata"]["name"], "namespace": "ops", "port": 443,
        "path": "/validate-dynamicjob",
    }
    assert service["spec"]["ports"] == [
        {"name": "https", "port": 443, "targetPort": "webhook", "protocol": "TCP"}]
    pod_labels = only(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_webhook_path_is_the_handler_id() -> None:
    from job_operator.admission.webhook import WEBHOOK_ID

    assert f"path: /{WEBHOOK_ID}\n" in (CHART / "templates" / "webhook.yaml").read_text()


def test_helm_generated_certificate_matches_the_ca_bundle(render: Render) -> None:
    from cryptography import x509

    objects = render()
    secret = only(objects, "Secret")
    config = only(objects, "ValidatingWebhookConfiguration")
    bundle = config["webhooks"][0]["clientConfig"]["caBundle"]
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["data"]["ca.crt"] == bundle
    ca = x509.load_pem_x509_certificate(base64.b64decode(bundle))
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    assert cert.issuer == ca.subject
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "rel-dynamicjobs-webhook.ops.svc" in names.get_values_for_type(x509.DNSName)
    volumes = only(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "webhook-tls", "secret": {
        "secretName": secret["metadata"]["name"], "defaultMode": 0o440}} in volumes


def test_cert_manager_certificate(render: Render) -> None:
    objects = render("-f", str(CHART / "ci" / "cert-manager-values.yaml"))
    assert of_kind(objects, "Secret") == []
    certificates = {c["metadata"]["name"]: c for c in of_kind(objects, "Certificate")}
    issuers = {i["metadata"]["name"]: i for i in of_kind(objects, "Issuer")}
    certificate, ca = certificates["rel-dynamicjobs-webhook"], certificates[
        "rel-dynamicjobs-webhook-ca"]
    assert ca["spec"]["isCA"] is True
    assert "selfSigned" in issuers[ca["spec"]["issuerRef"]["name"]]["spec"]
    serving_issuer = issuers[certificate["spec"]["issuerRef"]["name"]]
    assert serving_issuer["spec"] == {"ca": {"secretName": ca["spec"]["secretName"]}}, (
        "the serving certificate is signed by the chart's CA, so renewing it keeps the CA")
    assert "rel-dynamicjobs-webhook.ops.svc" in certificate["spec"]["dnsNames"]
    config = only(objects, "ValidatingWebhookConfiguration")
    annotation = config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
    assert annotation == f"ops/{certificate['metadata']['name']}"
    assert "caBundle" not in config["webhooks"][0]["clientConfig"]
    volumes = only(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "webhook-tls", "secret": {
        "secretName": certificate["spec"]["secretName"], "defaultMode": 0o440}} in volumes


def test_cert_manager_with_an_existing_issuer(render: Render) -> None:
    objects = render("--set", "webhook.certificate.source=cert-manager",
                     "--set", "webhook.certificate.certManager.issuerRef.name=corp-ca",
                     "--set", "webhook.certificate.certManager.issuerRef.kind=ClusterIssuer")
    assert of_kind(objects, "Issuer") == []
    assert only(objects, "Certificate")["spec"]["issuerRef"] == {
        "name": "corp-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}


def test_without_the_webhook_readiness_follows_health(render: Render) -> None:
    deployment = only(render("--set", "webhook.enabled=false"), "Deployment")
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"] == {"path": "/healthz", "port": "health"}


def test_webhook_disabled(render: Render) -> None:
    objects = render("--set", "webhook.enabled=false")
    kinds = {obj["kind"] for obj in objects}
    assert not kinds & {"ValidatingWebhookConfiguration", "Service", "Secret"}
    env = env_of(only(objects, "Deployment"))
    assert "DYNAMICJOBS_WEBHOOK_CERTFILE" not in env


def test_webhook_namespace_selector_and_policy(render: Render) -> None:
    objects = render("-f", str(CHART / "ci" / "namespaced-watch-values.yaml"),
                     "--set", "webhook.failurePolicy=Ignore")
    (webhook,) = only(objects, "ValidatingWebhookConfiguration")["webhooks"]
    assert webhook["failurePolicy"] == "Ignore"
    assert webhook["namespaceSelector"]["matchExpressions"][0]["values"] == ["team-a", "team-b"]


def test_no_network_policy_unless_asked_for(render: Render) -> None:
    assert of_kind(render(), "NetworkPolicy") == []
    assert of_kind(render("--set", "webhook.enabled=false",
                          "--set", "webhook.networkPolicy.enabled=true",
                          "--set", "webhook.networkPolicy.from[0].ipBlock.cidr=10.0.0.0/28"),
                   "NetworkPolicy") == []


def test_the_network_policy_lets_only_the_listed_peers_reach_the_webhook(
    render: Render, tmp_path: Path,
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"webhook": {"port": 10250, "networkPolicy": {
        "enabled": True,
        "from": [{"ipBlock": {"cidr": "10.0.0.0/28"}},
                 {"namespaceSelector": {"matchLabels": {
                     "kubernetes.io/metadata.name": "kube-system"}},
                  "podSelector": {"matchLabels": {"component": "kube-apiserver"}}}],
        "extraIngress": [{"ports": [{"port": 8080, "protocol": "TCP"}], "from": [
            {"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]}],
    }}}))
    objects = render("-f", str(values))
    policy = only(objects, "NetworkPolicy")
    kubernetes_validate.validate(policy, KUBE_VERSION, strict=True)
    pod_labels = only(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert selector["app.kubernetes.io/component"] == "operator"
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    webhook, extra = policy["spec"]["ingress"]
    assert webhook["ports"] == [{"port": 10250, "protocol": "TCP"}]
    assert webhook["from"][0] == {"ipBlock": {"cidr": "10.0.0.0/28"}}
    assert webhook["from"][1]["podSelector"] == {"matchLabels": {"component": "kube-apiserver"}}
    assert extra["ports"] == [{"port": 8080, "protocol": "TCP"}]


@pytest.mark.parametrize("flags", [
    ["webhook.networkPolicy.enabled=true"],
    ["webhook.networkPolicy.enabled=true", "webhook.networkPolicy.from[0].ipBlock.cidr=internal"],
    ["webhook.networkPolicy.enabled=true",
     "webhook.networkPolicy.from[0].ipBlock.cidr=10.0.0.0/8",
     "webhook.networkPolicy.from[0].ipBlok.cidr=10.0.0.0/8"],
])
def test_a_network_policy_that_would_let_everyone_in_or_no_one_fails(
    helm: Path, flags: list[str],
) -> None:
    """Enabled with no peer would render an ingress rule open to all (an empty ``from``)."""
    result = run_helm(helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
                      *(arg for flag in flags for arg in ("--set", flag)))
    assert result.returncode != 0, f"{flags} was accepted"
    assert "values don't meet the specifications" in result.stderr, result.stderr


# --- values-declared jobs ----------------------------------------------------------------


def test_values_declared_jobs_render_as_valid_dynamicjobs(render: Render) -> None:
    jobs = of_kind(render("-f", str(CHART / "ci" / "jobs-values.yaml")), "DynamicJob")
    assert [(j["metadata"]["namespace"], j["metadata"]["name"]) for j in jobs] == [
        ("ops", "heartbeat"), ("platform", "nightly-heartbeat")]
    for job in jobs:
        assert validate_dynamicjob(job).problems == [], job["metadata"]["name"]
    nightly = jobs[1]
    assert nightly["metadata"]["labels"]["team"] == "platform"
    assert nightly["spec"]["retries"] == {"limit": 2, "backoffSeconds": 10}
    assert nightly["spec"]["suspend"] is True
    assert set(nightly["spec"]) >= {"template", "schedule", "parameters"}
    assert "name" not in nightly["spec"] and "labels" not in nightly["spec"]


def test_a_bad_values_declared_job_is_caught_by_validate_dynamicjob(render: Render) -> None:
    """The chart renders what it is given; the webhook and the operator refuse it."""
    (job,) = of_kind(render("--set", "jobs[0].name=x", "--set", "jobs[0].template=nope",
                            "--set", "jobs[0].schedule=61 * * * *"), "DynamicJob")
    fields = {problem.field for problem in validate_dynamicjob(job).problems}
    assert {"spec.template", "spec.schedule"} <= fields


def test_a_job_outside_the_watched_namespaces_fails(helm: Path) -> None:
    result = run_helm(
        helm, "template", "rel", str(CHART), "--kube-version", KUBE_VERSION,
        "--namespace", "ops", "--set", "watch.namespaces[0]=team-a",
        "--set", "jobs[0].name=x,jobs[0].template=heartbeat,jobs[0].schedule=@daily",
    )
    assert result.returncode != 0
    assert 'namespace "ops" is not watched' in result.stderr


def test_the_chart_and_the_image_share_one_version() -> None:
    """`./dev image` tags with pyproject's version; the chart defaults to its appVersion."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    pyproject = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(),
                          flags=re.MULTILINE)
    assert pyproject is not None
    assert chart["version"] == chart["appVersion"] == pyproject.group(1)


# --- Dockerfile ------------------------------------------------------------------------


def _dockerfile() -> list[str]:
    """Instructions, one per item, with continuation lines joined and comments dropped."""
    text = (REPO / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_dockerfile_runs_as_uid_65532_and_never_root() -> None:
    users = [line.split()[1] for line in _dockerfile() if line.startswith("USER ")]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] == "65532"


def test_dockerfile_pins_its_base_and_uses_no_latest_tag() -> None:
    lines = _dockerfile()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", "\n".join(lines), flags=re.MULTILINE))
    bases = []
    for line in lines:
        if line.startswith("FROM "):
            image = line.split()[1]
            bases.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image))
    assert bases and all(base.startswith("python:3.11-slim") for base in bases), bases
    assert not any(base.endswith(":latest") or ":" not in base for base in bases), bases
    assert "latest" not in " ".join(lines)


def test_dockerfile_installs_the_lock_file_and_the_two_entry_points() -> None:
    lines = _dockerfile()
    text = "\n".join(lines)
    assert "COPY requirements-runtime.lock" in text
    assert re.search(r"pip install .*(-r|--requirement) requirements-runtime\.lock", text)
    assert 'CMD ["python", "-m", "job_operator"]' in lines
    assert not any(line.startswith("ENTRYPOINT") for line in lines)
    assert "PYTHONDONTWRITEBYTECODE=1" in text
    for package in ("job_operator", "job_runner"):
        assert f"COPY {package} " in text


def test_dockerfile_installs_pg_dump_for_the_backup_template() -> None:
    """In the final stage, as root, without recommends, leaving no apt lists behind; the
    PostgreSQL major pinned, since pg_dump refuses a server of a newer major."""
    lines = _dockerfile()
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")):]
    installs = [i for i, line in enumerate(final) if "apt-get install" in line]
    assert len(installs) == 1, final
    run = " ".join(final[installs[0]].split())
    assert re.search(r"^RUN apt-get update && apt-get install .*--no-install-recommends.* "
                     r"postgresql-client-\d+\b", run), run
    assert run.endswith("&& rm -rf /var/lib/apt/lists/*"), run
    assert installs[0] < next(i for i, line in enumerate(final) if line.startswith("USER "))


def test_chart_and_runner_pods_run_the_image_the_way_the_dockerfile_expects(
    render: Render,
) -> None:
    """The operator's command is the image's CMD; runner pods use the same image and uid."""
    from job_operator.builders import RUNNER_UID, build_pod_spec
    from job_operator.settings import Settings
    from job_runner.api import DynamicJob

    container = only(render(), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    cmd = next(line for line in _dockerfile() if line.startswith("CMD "))
    assert container["command"] == yaml.safe_load(cmd.removeprefix("CMD "))
    assert container["securityContext"]["runAsUser"] == 65532 == RUNNER_UID
    job = DynamicJob.model_validate({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "beat", "namespace": "ops", "uid": "u-1"},
        "spec": {"template": "heartbeat", "schedule": "@daily"},
    })
    runner = build_pod_spec(job, Settings.from_env({}))["containers"][0]
    assert runner["command"] + runner["args"] == [
        "python", "-m", "job_runner", "run", "--from-env"]
