"""Where a runner's RestEndpoint finds the API server and its credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from job_runner import status_api
from job_runner.status_api import RestEndpoint


def _kubeconfig(path: Path, user: dict[str, str]) -> Path:
    path.write_text(yaml.safe_dump({
        "current-context": "pod",
        "clusters": [{"name": "local", "cluster": {
            "server": "https://127.0.0.1:6443", "certificate-authority": "/tmp/ca.crt"}}],
        "users": [{"name": "pod", "user": user}],
        "contexts": [{"name": "pod", "context": {"cluster": "local", "user": "pod"}}],
    }))
    return path


def test_outside_a_pod_the_kubeconfigs_token_and_ca_are_used(tmp_path: Path) -> None:
    config = _kubeconfig(tmp_path / "config", {"token": "pod-token"})
    endpoint = RestEndpoint.from_environment({"KUBECONFIG": str(config)})
    assert (endpoint.server, endpoint.ca_file, endpoint.token()) == (
        "https://127.0.0.1:6443", "/tmp/ca.crt", "pod-token")


def test_a_kubeconfig_without_a_token_is_refused_with_the_reason(tmp_path: Path) -> None:
    config = _kubeconfig(tmp_path / "config", {"client-certificate": "/tmp/x.crt"})
    with pytest.raises(ValueError, match="the runner reports with a token"):
        RestEndpoint.from_environment({"KUBECONFIG": str(config)})


def test_in_a_pod_the_token_file_is_read_for_every_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_api, "SERVICE_ACCOUNT", tmp_path)
    (tmp_path / "token").write_text("first\n")
    endpoint = RestEndpoint.from_environment({"KUBERNETES_SERVICE_HOST": "fd00::1",
                                              "KUBERNETES_SERVICE_PORT": "443"})
    assert endpoint.server == "https://[fd00::1]:443"
    assert endpoint.ca_file == str(tmp_path / "ca.crt")
    assert endpoint.token() == "first"
    (tmp_path / "token").write_text("rotated by the kubelet\n")
    assert endpoint.token() == "rotated by the kubelet"
