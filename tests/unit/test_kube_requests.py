"""Kube's requests: the URL, headers and body it hands the client's connection pool, and
how often it reads the client's credentials."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from job_operator import kube as kube_module
from job_operator.kube import CREDENTIALS_SECONDS, Kube


@dataclass
class Response:
    status: int = 200
    data: bytes = b'{"kind": "CronJob"}'
    reason: str = "OK"
    headers: dict[str, str] = field(default_factory=dict)

    def read(self) -> bytes:
        return self.data


@dataclass
class Stream:
    """A watch's body as urllib3 streams it, in chunks that split lines anywhere."""

    chunks: list[bytes]
    released: bool = False

    def stream(self, amount: int, decode_content: bool) -> list[bytes]:
        return self.chunks

    def release_conn(self) -> None:
        self.released = True


@dataclass
class Configuration:
    tokens: list[str]
    host: str = "https://api.example:6443"
    reads: int = 0

    def auth_settings(self) -> dict[str, Any]:
        self.reads += 1
        return {"BearerToken": {"in": "header", "key": "authorization",
                                "value": self.tokens[min(self.reads, len(self.tokens)) - 1]}}


@dataclass
class RestClient:
    sent: list[dict[str, Any]] = field(default_factory=list)
    answer: Response = field(default_factory=Response)

    def request(self, method: str, url: str, headers: dict[str, str], body: Any = None,
                _request_timeout: Any = None) -> Response:
        self.sent.append({"method": method, "url": url, "headers": headers, "body": body})
        return self.answer


@dataclass
class ApiClient:
    configuration: Configuration
    rest_client: RestClient = field(default_factory=RestClient)
    default_headers: dict[str, str] = field(default_factory=lambda: {"User-Agent": "ua"})


def _kube(*tokens: str) -> tuple[Kube, ApiClient]:
    api = ApiClient(Configuration(list(tokens)))
    return Kube(api), api  # type: ignore[arg-type]


def test_a_create_goes_to_the_collection_with_our_field_manager_and_a_json_body() -> None:
    kube, api = _kube("bearer one")
    obj = {"kind": "CronJob", "metadata": {"name": "beat", "namespace": "ns"}}
    assert kube.create(obj) == {"kind": "CronJob"}
    [sent] = api.rest_client.sent
    assert sent["method"] == "POST"
    assert sent["url"] == ("https://api.example:6443/apis/batch/v1/namespaces/ns/cronjobs"
                           "?fieldManager=dynamicjobs-operator&fieldValidation=Ignore")
    assert sent["headers"] == {"User-Agent": "ua", "authorization": "bearer one",
                               "Content-Type": "application/json",
                               "Accept": "application/json"}
    assert sent["body"] == obj


def test_status_writes_name_the_operator_as_their_field_manager() -> None:
    """So managedFields say who wrote a status (the client's user agent said
    "OpenAPI-Generator")."""
    kube, api = _kube("bearer one")
    kube.patch_status("DynamicJob", "ns", "beat", {"observedGeneration": 1})
    kube.patch_dynamicjob_status("ns", "beat", {"status": {"lastRun": None}})
    for sent in api.rest_client.sent:
        assert sent["method"] == "PATCH"
        assert sent["url"] == ("https://api.example:6443/apis/dynamicjobs.io/v1alpha1/"
                               "namespaces/ns/dynamicjobs/beat/status"
                               "?fieldManager=dynamicjobs-operator&fieldValidation=Ignore")
        assert sent["headers"]["Content-Type"] == "application/merge-patch+json"


def test_a_label_selector_is_encoded_in_the_query() -> None:
    kube, api = _kube("bearer one")
    api.rest_client.answer = Response(data=json.dumps({"items": []}).encode())
    kube.list("CronJob", "ns", "app.kubernetes.io/managed-by=dynamicjobs-operator")
    assert api.rest_client.sent[0]["url"].endswith(
        "/namespaces/ns/cronjobs?labelSelector=app.kubernetes.io%2Fmanaged-by%3D"
        "dynamicjobs-operator")


def test_credentials_are_read_again_only_after_their_period(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(kube_module.time, "monotonic", lambda: now[0])
    kube, api = _kube("bearer one", "bearer two")
    for _ in range(3):
        kube.get("CronJob", "ns", "beat")
    now[0] += CREDENTIALS_SECONDS
    kube.get("CronJob", "ns", "beat")
    assert api.configuration.reads == 2
    assert [s["headers"]["authorization"] for s in api.rest_client.sent] == [
        "bearer one", "bearer one", "bearer one", "bearer two"]


def test_an_error_answer_is_an_api_exception_with_the_servers_message() -> None:
    kube, api = _kube("bearer one")
    api.rest_client.answer = Response(status=409, reason="Conflict", data=json.dumps(
        {"message": "cronjobs.batch \"beat\" already exists"}).encode())
    with pytest.raises(kube_module.ApiException) as raised:
        kube.create({"kind": "CronJob", "metadata": {"name": "beat", "namespace": "ns"}})
    assert raised.value.status == 409
    assert "already exists" in str(raised.value.body)


def test_a_watch_goes_out_like_every_request_and_yields_whole_lines() -> None:
    kube, api = _kube("bearer one")
    stream = Stream([b'{"type": "ADDED", "object": {"a"', b': 1}}\n{"type": "DELETED", ',
                     b'"object": {}}\n'])
    api.rest_client.answer = Response(data=b"")
    api.rest_client.answer.response = stream  # type: ignore[attr-defined]
    events = list(kube.watch("CronJob", "ns", "app=x", "41", 30, threading.Event()))
    assert events == [{"type": "ADDED", "object": {"a": 1}},
                      {"type": "DELETED", "object": {}}]
    [sent] = api.rest_client.sent
    assert sent["url"] == ("https://api.example:6443/apis/batch/v1/namespaces/ns/cronjobs"
                           "?labelSelector=app%3Dx&watch=true&resourceVersion=41"
                           "&allowWatchBookmarks=true&timeoutSeconds=30")
    assert sent["headers"] == {"User-Agent": "ua", "authorization": "bearer one",
                               "Accept": "application/json"}
    assert stream.released
