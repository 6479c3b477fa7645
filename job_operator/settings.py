"""The operator's settings, read once from the environment (the Helm chart sets them)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from job_runner.contract import RUNNER_POLICY_ENV


@dataclass(frozen=True)
class WebhookSettings:
    """Where the validating webhook listens. The ValidatingWebhookConfiguration that points
    the API server here belongs to the installer (the Helm chart), never to the operator."""

    port: int
    certfile: Path
    keyfile: Path
    address: str = "0.0.0.0"  # noqa: S104 - in a pod, the Service routes here


@dataclass(frozen=True)
class RunnerPodSettings:
    """Where and with what runner pods run: the admin's, from the chart's `runner` values.
    A DynamicJob cannot set any of these, except its own resources."""

    image_pull_secrets: tuple[str, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    priority_class_name: str = ""
    resources: Mapping[str, Mapping[str, Any]] | None = None
    """Default `requests` and `limits`, each used unless the DynamicJob sets its own; None
    leaves the DynamicJob model's defaults."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RunnerPodSettings:
        resources = _json_env(env, "DYNAMICJOBS_RUNNER_RESOURCES", dict)
        return cls(
            image_pull_secrets=tuple(
                name for name in env.get("DYNAMICJOBS_RUNNER_IMAGE_PULL_SECRETS", "").split(",")
                if name),
            node_selector=_json_env(env, "DYNAMICJOBS_RUNNER_NODE_SELECTOR", dict) or {},
            tolerations=tuple(_json_env(env, "DYNAMICJOBS_RUNNER_TOLERATIONS", list) or ()),
            priority_class_name=env.get("DYNAMICJOBS_RUNNER_PRIORITY_CLASS_NAME", ""),
            resources=resources,
        )


def _json_env(env: Mapping[str, str], name: str, kind: type[Any]) -> Any:
    """The JSON in ``name``, which must be a ``kind``; None when unset or empty."""
    text = env.get(name, "")
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name} is not JSON: {error}") from None
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a JSON {kind.__name__}, not {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    runner_image: str
    image_pull_policy: str
    drift_check_seconds: float
    webhook: WebhookSettings | None
    namespaces: tuple[str, ...] = ()
    """The namespaces the operator watches; empty means the whole cluster."""
    runner_env: tuple[tuple[str, str], ...] = ()
    """Admin policy the operator hands to every runner pod (e.g. the webhook network policy)."""
    runner_pod: RunnerPodSettings = field(default_factory=RunnerPodSettings)
    metrics_port: int | None = None
    """Where ``/metrics`` is served (plain HTTP, every replica); None: not served."""
    metrics_address: str = "0.0.0.0"  # noqa: S104 - in a pod, the Service routes here
    log_format: str = "text"
    """``json``: every log line of the operator as one JSON object; ``text``: kopf's."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        webhook = None
        if env.get("DYNAMICJOBS_WEBHOOK_CERTFILE"):
            webhook = WebhookSettings(
                port=int(env.get("DYNAMICJOBS_WEBHOOK_PORT", "9443")),
                certfile=Path(env["DYNAMICJOBS_WEBHOOK_CERTFILE"]),
                keyfile=Path(env["DYNAMICJOBS_WEBHOOK_KEYFILE"]),
                address=env.get("DYNAMICJOBS_WEBHOOK_ADDRESS") or "0.0.0.0",  # noqa: S104
            )
        return cls(
            runner_image=env.get("DYNAMICJOBS_RUNNER_IMAGE", "dynamicjobs:0.1.0"),
            image_pull_policy=env.get("DYNAMICJOBS_IMAGE_PULL_POLICY", "IfNotPresent"),
            drift_check_seconds=float(env.get("DYNAMICJOBS_DRIFT_CHECK_SECONDS", "60")),
            webhook=webhook,
            namespaces=tuple(n for n in env.get("DYNAMICJOBS_NAMESPACES", "").split(",") if n),
            runner_env=tuple((name, env[name]) for name in RUNNER_POLICY_ENV if env.get(name)),
            runner_pod=RunnerPodSettings.from_env(env),
            metrics_port=int(env["DYNAMICJOBS_METRICS_PORT"])
            if env.get("DYNAMICJOBS_METRICS_PORT") else None,
            metrics_address=env.get("DYNAMICJOBS_METRICS_ADDRESS") or "0.0.0.0",  # noqa: S104
            log_format=_log_format(env.get("DYNAMICJOBS_LOG_FORMAT") or "text"),
        )


LOG_FORMATS = ("text", "json")


def _log_format(text: str) -> str:
    if text not in LOG_FORMATS:
        raise ValueError(f"DYNAMICJOBS_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                         f"not {text!r}")
    return text
