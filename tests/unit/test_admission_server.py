"""The webhook's HTTPS endpoint: AdmissionReview answers over real TLS on loopback."""

from __future__ import annotations

import json
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from job_operator.admission.server import AdmissionServer
from job_operator.admission.webhook import review_response
from job_operator.settings import WebhookSettings
from job_operator.validation import Problem
from local_cluster.pki import CertificateAuthority


def _review(operation: str = "CREATE", name: str = "job") -> dict[str, Any]:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "uid-1", "operation": operation, "namespace": "ns",
                        "object": {"metadata": {"name": name}}}}


def _judge(request: Mapping[str, Any]) -> list[Problem]:
    name = request["object"]["metadata"]["name"]
    if name == "boom":
        raise RuntimeError("the API server is unreachable")
    return [Problem("spec.schedule", "bad")] if name == "bad" else []


def test_a_valid_request_is_allowed_and_its_uid_echoed() -> None:
    answer = review_response(_review(), _judge)
    assert answer["kind"] == "AdmissionReview"
    assert answer["response"] == {"uid": "uid-1", "allowed": True}


def test_problems_refuse_with_422_and_every_field() -> None:
    response = review_response(_review(name="bad"), _judge)["response"]
    assert response["allowed"] is False
    assert response["status"]["code"] == 422
    assert response["status"]["message"] == "spec.schedule: bad"


def test_a_failure_to_judge_refuses_it_never_allows() -> None:
    response = review_response(_review(name="boom"), _judge)["response"]
    assert response["allowed"] is False
    assert "unreachable" in response["status"]["message"]


def test_operations_other_than_create_and_update_are_not_judged() -> None:
    assert review_response(_review("DELETE", name="boom"), _judge)["response"]["allowed"]


Served = tuple[AdmissionServer, ssl.SSLContext, CertificateAuthority]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    authority = CertificateAuthority(tmp_path)
    pair = authority.issue("webhook", "webhook", ip_addresses=("127.0.0.1",))
    server = AdmissionServer(
        WebhookSettings(port=0, certfile=pair.cert, keyfile=pair.key, address="127.0.0.1"),
        lambda review: review_response(review, _judge))
    server.start()
    client = ssl.create_default_context(cafile=str(authority.cert_path))
    yield server, client, authority
    server.stop()


def _post(server: AdmissionServer, context: ssl.SSLContext, body: bytes,
          path: str = "/validate-dynamicjob") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"https://127.0.0.1:{server.port}{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_server_answers_reviews_over_tls(served: Any) -> None:
    server, context, _ = served
    status, answer = _post(server, context, json.dumps(_review(name="bad")).encode())
    assert status == 200
    assert answer["response"]["allowed"] is False
    assert answer["response"]["uid"] == "uid-1"


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("/elsewhere", b"{}", 404),
    ("/validate-dynamicjob", b"not json", 400),
    ("/validate-dynamicjob", b"[1]", 400),
])
def test_what_is_not_a_review_is_refused_with_a_reason(
    served: Any, path: str, body: bytes, expected: int
) -> None:
    server, context, _ = served
    status, answer = _post(server, context, body, path)
    assert status == expected
    assert answer["message"]


def test_a_renewed_certificate_is_served_without_a_restart(served: Any) -> None:
    server, context, authority = served
    _post(server, context, json.dumps(_review()).encode())
    renewed = authority.issue("renewed", "webhook-renewed", ip_addresses=("127.0.0.1",))
    certfile, keyfile = server.webhook.certfile, server.webhook.keyfile
    certfile.write_bytes(renewed.cert.read_bytes())
    keyfile.write_bytes(renewed.key.read_bytes())
    later = os.stat(certfile).st_mtime + 5
    os.utime(certfile, (later, later))
    with socket.create_connection(("127.0.0.1", server.port)) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        subject = dict(item[0] for item in tls.getpeercert()["subject"])
    assert subject["commonName"] == "webhook-renewed"


def _raw_exchange(server: AdmissionServer, context: ssl.SSLContext, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(request)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
        return answer


def test_a_bad_content_length_is_refused_and_the_connection_closed(served: Any) -> None:
    server, context, _ = served
    answer = _raw_exchange(server, context, b"POST /validate-dynamicjob HTTP/1.1\r\n"
                                            b"Host: x\r\nContent-Length: twelve\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in answer, "the reply ends the connection (recv saw EOF)"


def test_a_client_that_is_not_tls_does_not_stop_the_server(served: Any) -> None:
    server, context, _ = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as plain:
        plain.sendall(b"POST /validate-dynamicjob HTTP/1.1\r\nHost: x\r\n\r\n")
        plain.recv(1024)
    status, answer = _post(server, context, json.dumps(_review()).encode())
    assert (status, answer["response"]["allowed"]) == (200, True)
