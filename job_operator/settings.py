"""The operator's settings, read once from the environment (the Helm chart sets them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
class Settings:
    runner_image: str
    image_pull_policy: str
    drift_check_seconds: float
    webhook: WebhookSettings | None
    namespaces: tuple[str, ...] = ()
    """The namespaces the operator watches; empty means the whole cluster."""
    runner_env: tuple[tuple[str, str], ...] = ()
    """Admin policy the operator hands to every runner pod (e.g. the webhook network policy)."""

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
        )
