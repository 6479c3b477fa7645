"""The unit tier cannot reach a real API server (tests/conftest.py), by either client."""

from __future__ import annotations

import asyncio

import pytest
from kubernetes import client

from job_operator.kube import load_client
from tests.conftest import RealApiCallInUnitTest


def test_a_kubernetes_client_request_fails_loudly() -> None:
    api = client.CoreV1Api(client.ApiClient(client.Configuration(host="https://127.0.0.1:1")))
    with pytest.raises(RealApiCallInUnitTest, match="move the test to tests/integration"):
        api.list_namespace()


def test_loading_a_cluster_config_fails_loudly() -> None:
    with pytest.raises(RealApiCallInUnitTest, match="in-cluster config"):
        load_client()


def test_a_kopf_api_request_fails_loudly() -> None:
    from kopf._cogs.clients import api as kopf_api

    with pytest.raises(RealApiCallInUnitTest, match="kopf"):
        asyncio.run(kopf_api.request("get", "/api/v1/namespaces"))
