"""slack-notification: a Block Kit message to a Slack incoming webhook.

The webhook's URL is a credential (anyone holding it may post to the channel), so it is
only ever a Secret reference and never appears in outputs, messages or logs. A 429 is
waited out as its Retry-After asks, while the run's (or the notifiers') deadline allows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from job_runner.api.status import RUN_VALUES
from job_runner.api.times import parse_time
from job_runner.template import RunContext, SecretRef, Template, TemplateError
from job_runner.toolkit.http_client import Request, Response, send_following_redirects
from job_runner.toolkit.netpolicy import AddressPolicy

HEADER_MAX = 150
FIELD_MAX = 2000
SECTION_MAX = 3000
MAX_TRIES = 4
DEFAULT_RETRY_AFTER = 1.0
SEND_RESERVE_SECONDS = 1.0
"""Time kept back after a Retry-After wait, to send the message again."""
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")


class SlackParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    webhook_url: SecretRef = Field(
        alias="webhookUrl",
        description="The incoming webhook's URL (https://hooks.slack.com/services/...), "
                    "from a Secret: whoever has it can post to the channel.")
    text: str = Field(
        default="{job} in {namespace}: {result}", min_length=1, max_length=HEADER_MAX,
        description="The headline. As a notifier, {job}, {namespace}, {result}, {id}, "
                    "{trigger}, {attempts}, {message}, {startedAt} and {finishedAt} are "
                    "the run's.")
    details: dict[str, str] = Field(
        default_factory=dict, max_length=10,
        description="Label -> value, shown as the message's fields. As a notifier, Job, "
                    "Result, Duration, Attempts and Trigger come first.")
    message: str = Field(
        default="", max_length=SECTION_MAX,
        description="Text under the fields; as a notifier, the run's message.")
    timeout_seconds: float = Field(default=10, gt=0, le=60, alias="timeoutSeconds",
                                   description="Timeout per request.")


def _escaped(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as markup; a run's message is plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


def payload(params: SlackParameters) -> dict[str, Any]:
    """The Block Kit message: a header, the details as fields, the message, a footer."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(params.text, HEADER_MAX)}}]
    if params.details:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": _cut(f"*{_escaped(label)}*\n{_escaped(value)}", FIELD_MAX)}
            for label, value in params.details.items()]})
    if params.message:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": _cut(_escaped(params.message), SECTION_MAX)}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": "sent by dynamicjobs"}]})
    return {"text": params.text, "blocks": blocks}


def _duration(run: Mapping[str, Any]) -> str:
    started, finished = parse_time(run.get("startedAt")), parse_time(run.get("finishedAt"))
    if started is None or finished is None:
        return "unknown"
    seconds = max(0, int((finished - started).total_seconds()))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m {rest}s" if minutes else f"{rest}s"


def retry_after_seconds(header: str, now: datetime | None = None) -> float:
    """Retry-After as seconds: a number, or an HTTP date; a second when unreadable."""
    text = header.strip()
    if not text:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _webhook_url(params: SlackParameters, ctx: RunContext) -> str:
    url = ctx.secrets(params.webhook_url).strip()
    parts = urlsplit(url)
    where = params.webhook_url.describe()
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TemplateError(f"webhookUrl: {where} does not hold an http(s) URL")
    if any(char in url for char in "\r\n\x00\t "):
        raise TemplateError(f"webhookUrl: {where} holds whitespace or control characters")
    return url


class SlackOutputs(BaseModel):
    """What a delivered Slack message records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status Slack answered (2xx).")
    tries: int = Field(description="Posts it took: more than 1 when Slack rate limited "
                                   "(429) and the runner waited as Retry-After asked.")


class SlackNotification(Template[SlackParameters]):
    name: ClassVar[str] = "slack-notification"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Posts a Block Kit message (headline, fields, text) to a Slack incoming webhook "
        "whose URL comes from a Secret; as a notifier, the run's job, result, duration, "
        "attempts and message.")
    Parameters: ClassVar[type[BaseModel]] = SlackParameters
    Outputs: ClassVar[type[BaseModel] | None] = SlackOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {"webhookUrl": {"secretRef": {"name": "slack-webhook", "key": "url"}}},
        {"webhookUrl": {"secretRef": {"name": "slack-webhook", "key": "url"}},
         "text": "Nightly export is ready", "details": {"Rows": "1200"},
         "message": "The file is in the team's bucket."},
    ]

    @classmethod
    def with_run(cls, parameters: dict[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
        """As a notifier: the headline's placeholders filled from the run, the run's
        facts as the first fields, and its message as the text (unless set)."""
        values = {key: " ".join(str(run.get(key) or "").split()) for key in RUN_VALUES}
        text = parameters.get("text", SlackParameters.model_fields["text"].default)
        if isinstance(text, str):
            text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
        facts = {"Job": f"{values['namespace']}/{values['job']}", "Result": values["result"],
                 "Duration": _duration(run), "Attempts": values["attempts"] or "1",
                 "Trigger": values["trigger"]}
        own = parameters.get("details", {})
        details = {**facts, **own} if isinstance(own, dict) else own
        return {**parameters, "text": _cut(text, HEADER_MAX) if isinstance(text, str) else text,
                "details": details,
                "message": parameters.get("message") or str(run.get("message") or "")}

    def plan(self, params: SlackParameters, ctx: RunContext) -> dict[str, Any]:
        url = _webhook_url(params, ctx)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = AddressPolicy.from_environ(os.environ).resolve(parts.hostname or "", port)
        return {"webhook": params.webhook_url.describe(), "addresses": addresses,
                "payload": payload(params)}

    def run(self, params: SlackParameters, ctx: RunContext) -> dict[str, Any]:
        url = _webhook_url(params, ctx)
        body = payload(params)
        for attempt in range(1, MAX_TRIES + 1):
            response = self._post(url, body, params, ctx)
            if 200 <= response.status <= 299:
                ctx.logger.info("slack message delivered", extra={"tries": attempt})
                return {"status": response.status, "tries": attempt}
            if response.status != 429:
                raise TemplateError(f"Slack answered {response.status} {response.reason} "
                                    f"for {params.webhook_url.describe()}")
            wait = retry_after_seconds(response.retry_after)
            left = ctx.remaining()
            if wait > left - SEND_RESERVE_SECONDS:
                raise TemplateError(
                    f"Slack is rate limiting (429) and asks to wait {wait:g}s, beyond the "
                    f"{max(0.0, left):.0f}s left of this notifier's time; not sent")
            ctx.logger.info("slack rate limit: waiting as Retry-After asks",
                            extra={"seconds": wait})
            ctx.cancelled.wait(wait)
            ctx.check_cancelled()
        raise TemplateError(f"Slack still rate limiting (429) after {MAX_TRIES} tries")

    @staticmethod
    def _post(url: str, body: dict[str, Any], params: SlackParameters,
              ctx: RunContext) -> Response:
        request = Request("POST", url, {}, body)
        try:
            return send_following_redirects(
                request, AddressPolicy.from_environ(os.environ), params.timeout_seconds, ctx,
                accept=lambda status: 200 <= status <= 299 or status == 429)
        except TemplateError as error:
            raise TemplateError(
                str(error).replace(url, params.webhook_url.describe())) from None
