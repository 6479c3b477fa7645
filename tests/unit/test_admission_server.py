"""The webhook's HTTPS endpoint: AdmissionReview answers over real TLS on loopback."""

from __future__ import annotations

import http.client
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

from job_operator.admission.server import (
    MAX_JSON_DEPTH,
    AdmissionServer,
    _cut_text,
    decode_review,
)
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


def _serving(tmp_path: Path, **options: Any) -> Iterator[Served]:
    authority = CertificateAuthority(tmp_path)
    pair = authority.issue("webhook", "webhook", ip_addresses=("127.0.0.1",))
    server = AdmissionServer(
        WebhookSettings(port=0, certfile=pair.cert, keyfile=pair.key, address="127.0.0.1"),
        lambda review: review_response(review, _judge), **options)
    server.start()
    yield server, ssl.create_default_context(cafile=str(authority.cert_path)), authority
    server.stop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from _serving(tmp_path)


def _post(server: AdmissionServer, context: ssl.SSLContext, body: bytes,
          path: str = "/validate-dynamicjob", timeout: float = 10,
          ) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"https://127.0.0.1:{server.port}{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=timeout) as answer:
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


# --- issue 8, break 2: a hostile nesting depth is refused with a message --------------------


def _deep(levels: int) -> str:
    """JSON text nesting ``levels`` deep: arrays and objects in turn (json.dumps itself
    cannot write it)."""
    return '[{"a": ' * (levels // 2) + '"bottom"' + "}]" * (levels // 2)


def _with_deep(value: Any, levels: int) -> str:
    """``value`` as JSON text, with each "DEEP" string replaced by a deep part."""
    return json.dumps(value).replace('"DEEP"', _deep(levels))


def test_a_review_nested_1000_deep_is_refused_naming_the_field(served: Any) -> None:
    server, context, _ = served
    review = _review(name="deep")
    review["request"]["object"]["spec"] = {"parameters": {"payload": "DEEP"}}
    body = _with_deep(review, 1000).encode()
    with pytest.raises(RecursionError):
        json.loads(body)  # what the server used to do, and drop the connection
    status, answer = _post(server, context, body)
    assert status == 200
    response = answer["response"]
    assert (response["uid"], response["allowed"]) == ("uid-1", False)
    assert response["status"]["code"] == 422
    message = response["status"]["message"]
    assert message.startswith("spec.parameters: nested deeper than 16 levels"), message
    assert "64" in message


def test_a_deep_old_object_does_not_refuse_the_update_that_fixes_it(served: Any) -> None:
    server, context, _ = served
    review = _review("UPDATE", name="fixed")
    review["request"]["oldObject"] = {"metadata": {"name": "fixed"},
                                      "spec": {"parameters": "DEEP"}}
    status, answer = _post(server, context, _with_deep(review, 1200).encode())
    assert (status, answer["response"]["allowed"]) == (200, True)


@pytest.mark.parametrize("text", [
    '{"a": "[[[{{{", "b": [1, {"c": "]]}}\\\\"}], "d": "\\"[", "e": []}',
    _with_deep({"deep": "DEEP", "list": [[], {}, "x"], "s": "\\\"{"}, 60),
])
def test_cutting_leaves_what_is_shallow_enough_as_it_was(text: str) -> None:
    value, cut = decode_review(text.encode())
    assert (value, cut) == (json.loads(text), [])
    assert _cut_text(text, MAX_JSON_DEPTH) == text


def test_cutting_names_each_part_too_deep_and_keeps_its_neighbours() -> None:
    text = _with_deep({"request": {"object": {"spec": {
        "parameters": {"x": "DEEP", "y": "{[ kept"}, "other": ["DEEP"]}}}}, 1500)
    value, cut = decode_review(text.encode())
    spec = value["request"]["object"]["spec"]
    assert spec["parameters"]["y"] == "{[ kept"
    assert sorted(path[:5] for path in cut) == [
        ("request", "object", "spec", "other", 0), ("request", "object", "spec",
                                                    "parameters", "x")]
    assert all(len(path) == MAX_JSON_DEPTH for path in cut)


def test_an_unclosed_deep_body_is_not_json() -> None:
    with pytest.raises(ValueError):
        decode_review(b'{"a": ' + b"[" * 5000)


# --- issue 8, break 4: slow clients hold no worker, and a request's total time is bounded ---


def _tls_connection(server: AdmissionServer, context: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_a_review_is_answered_while_100_slow_clients_are_connected(served: Any) -> None:
    """The attack of the issue: 100 connections that each send a little and then wait. 40
    finished the TLS handshake and sent half a request; 60 sent one byte of a handshake."""
    server, context, _ = served
    attackers: list[socket.socket] = []
    try:
        for _ in range(24):
            tls = _tls_connection(server, context)
            tls.sendall(b"POST /validate-dynamicjob HTTP/1.1\r\nHost: x\r\nContent-Le")
            attackers.append(tls)
        for _ in range(76):
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            raw.sendall(b"\x16")
            attackers.append(raw)
        for name in ("first", "bad", "third"):
            status, answer = _post(server, context, json.dumps(_review(name=name)).encode(),
                                   timeout=8)
            assert (status, answer["response"]["allowed"]) == (200, name != "bad")
    finally:
        for attacker in attackers:
            attacker.close()


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Served]:
    """A server whose request deadline is one second."""
    yield from _serving(tmp_path, request_seconds=1.0)


def test_a_client_trickling_one_byte_at_a_time_is_closed_at_the_total_deadline(
    impatient: Served,
) -> None:
    """Each byte comes well within any per-read timeout; only a bound on the request's
    total time ends it. The request is far longer than the test's deadline allows."""
    server, context, _ = impatient
    request = b"POST /validate-dynamicjob HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 400
    closed = False
    with _tls_connection(server, context) as tls:
        tls.settimeout(0.1)  # the pace of the trickle: a byte each time nothing comes back
        for byte in request:
            try:
                tls.sendall(bytes([byte]))
                closed = tls.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
            if closed:
                break
    assert closed, "the server waited for the whole trickled request"
    status, answer = _post(server, context, json.dumps(_review()).encode())
    assert (status, answer["response"]["allowed"]) == (200, True)


def test_a_kept_alive_connection_serves_several_reviews(served: Any) -> None:
    server, context, _ = served
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context,
                                             timeout=10)
    try:
        for name in ("one", "bad", "three"):
            connection.request("POST", "/validate-dynamicjob",
                               body=json.dumps(_review(name=name)).encode(),
                               headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            assert answer.status == 200
            assert json.loads(answer.read())["response"]["allowed"] is (name != "bad")
            assert connection.sock is not None, "the connection was kept alive"
    finally:
        connection.close()


def test_a_connection_idle_after_its_handshake_is_kept_for_its_first_request(
    impatient: Served,
) -> None:
    """The API server opens pooled connections before it has a request for them: one that
    has only shaken hands is idle, not slow, and must not be cut at the request deadline
    (which would log a warning and cost a new handshake per review under load)."""
    server, context, _ = impatient
    body = json.dumps(_review()).encode()
    request = (b"POST /validate-dynamicjob HTTP/1.1\r\nHost: x\r\nContent-Type: "
               b"application/json\r\nContent-Length: " + str(len(body)).encode()
               + b"\r\n\r\n" + body)
    with _tls_connection(server, context) as tls:
        tls.settimeout(3.0)  # three times the request deadline, without a byte sent
        with pytest.raises(TimeoutError):
            tls.recv(1)  # the server neither answers nor closes: it waits, idle
        tls.sendall(request)
        assert tls.recv(4096).startswith(b"HTTP/1.1 200")
