"""webhook-trigger: one HTTP request to a URL, checked against the runner's network policy."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

from job_runner.template import RunContext, SecretRef, Template, TemplateError
from job_runner.toolkit.http_client import Request, send_following_redirects
from job_runner.toolkit.netpolicy import AddressPolicy

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_RESERVED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "upgrade"}


def _check_url(url: str) -> str:
    if any(char in url for char in "\r\n\x00\t ") or not url.isprintable():
        raise ValueError("must not contain whitespace, control characters or NUL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials; use a header with a secretRef")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as error:
        raise ValueError(f"has an invalid port: {error}") from None
    return url


def _check_header_names(headers: dict[str, Any]) -> dict[str, Any]:
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP token")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} is set by the runner and cannot be overridden")
        if isinstance(value, str) and any(char in value for char in "\r\n\x00"):
            raise ValueError(f"header {name!r} must not contain CR, LF or NUL")
    return headers


Url = Annotated[str, Field(max_length=2048), AfterValidator(_check_url)]
HeaderValue = Annotated[str, Field(max_length=8192)] | SecretRef


class WebhookParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = Field(
        default="POST", description="HTTP method."
    )
    url: Url | SecretRef = Field(
        description="http or https URL; a secretRef when the URL itself is a credential "
                    "(a Slack or Teams incoming webhook, a URL with a token in it).",
        examples=["https://hooks.example.com/x"])
    headers: Annotated[dict[str, HeaderValue], AfterValidator(_check_header_names)] = Field(
        default_factory=dict, max_length=50,
        description="Request headers; a value may be a secretRef (e.g. Authorization).",
    )
    body: JsonValue = Field(
        default=None, description="JSON body (sent as application/json); null sends none."
    )
    expected_status: list[Annotated[int, Field(ge=100, le=599)]] | None = Field(
        default=None, alias="expectedStatus", min_length=1, max_length=100,
        description="Status codes that count as success; default any 2xx.",
        examples=[[200, 201, 202, 204]],
    )
    timeout_seconds: float = Field(
        default=30, gt=0, le=300, alias="timeoutSeconds", description="Timeout per request."
    )

    def target(self, ctx: RunContext) -> tuple[str, str]:
        """(the URL to call, how to name it in outputs and messages): a URL from a Secret
        is checked like one in the spec and never shown, only its reference."""
        if not isinstance(self.url, SecretRef):
            return self.url, self.url
        try:
            return _check_url(ctx.secrets(self.url).strip()), self.url.describe()
        except ValueError as error:
            raise TemplateError(f"url: the URL in {self.url.describe()} {error}") from None

    def succeeded(self, status: int) -> bool:
        if self.expected_status is None:
            return 200 <= status <= 299
        return status in self.expected_status


class WebhookOutputs(BaseModel):
    """What a delivered request records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The response's HTTP status (one of `expectedStatus`).")
    url: str = Field(description="The URL that answered, after redirects; for a URL from a "
                                 "Secret, only which Secret it came from.")
    redirects: int = Field(description="Redirects followed.")


class WebhookTrigger(Template[WebhookParameters]):
    name: ClassVar[str] = "webhook-trigger"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Sends one HTTP request (optionally with a JSON body and secret headers) and checks "
        "the response status."
    )
    Parameters: ClassVar[type[BaseModel]] = WebhookParameters
    Outputs: ClassVar[type[BaseModel] | None] = WebhookOutputs

    @classmethod
    def with_run(cls, parameters: dict[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
        """As a notifier without a body of its own: the run, as JSON."""
        if parameters.get("body") is not None:
            return parameters
        return {**parameters, "body": dict(run)}

    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "method": "POST",
            "url": "https://ci.example.com/api/trigger",
            "headers": {"Authorization": {"secretRef": {"name": "ci-token", "key": "header"}}},
            "body": {"pipeline": "nightly"},
            "expectedStatus": [200, 201, 202, 204],
        }
    ]

    def plan(self, params: WebhookParameters, ctx: RunContext) -> dict[str, Any]:
        url, shown = params.target(ctx)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = AddressPolicy.from_environ(os.environ).resolve(parts.hostname or "", port)
        return {"method": params.method, "url": shown, "addresses": addresses}

    def run(self, params: WebhookParameters, ctx: RunContext) -> dict[str, Any]:
        headers: dict[str, str] = {}
        secret_headers: set[str] = set()
        for name, value in params.headers.items():
            if isinstance(value, SecretRef):
                secret = ctx.secrets(value)
                if any(char in secret for char in "\r\n\x00"):
                    raise TemplateError(f"header {name!r}: {value.describe()} has a line break")
                headers[name] = secret
                secret_headers.add(name.lower())
            else:
                headers[name] = value
        url, shown = params.target(ctx)
        request = Request(params.method, url, headers, params.body, secret_headers)
        try:
            response = send_following_redirects(
                request, AddressPolicy.from_environ(os.environ), params.timeout_seconds, ctx,
                accept=params.succeeded,
            )
        except TemplateError as error:
            raise TemplateError(str(error).replace(url, shown)) from None
        final = response.url if shown == url else shown
        outputs = {"status": response.status, "url": final, "redirects": response.redirects}
        if not params.succeeded(response.status):
            raise TemplateError(
                f"{params.method} {final} answered {response.status} {response.reason}, "
                f"expected {params.expected_status or '2xx'}"
            )
        ctx.logger.info("webhook delivered", extra=outputs)
        return outputs
