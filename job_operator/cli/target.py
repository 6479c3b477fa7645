"""Which cluster and namespace a command talks to, as kubectl decides it.

``--kubeconfig`` (else ``$KUBECONFIG``, else ``~/.kube/config``, else the pod's service
account), ``--context`` (else the current one), ``-n`` (else the context's namespace, else
``default``), ``-A`` for every namespace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from job_operator.cli.exits import CLUSTER, CliError

if TYPE_CHECKING:
    from kubernetes import client

IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class Target:
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False

    def api_client(self) -> client.ApiClient:
        """A client for the chosen cluster; `CliError` names the fix when there is none."""
        from kubernetes import client, config

        files = self._config_files()
        if not files and not self.context and _in_cluster():
            config.load_incluster_config()
            return client.ApiClient()
        try:
            return config.new_client_from_config(
                config_file=self.kubeconfig, context=self.context, persist_config=False)
        except config.ConfigException as error:
            raise CliError(self._config_problem(str(error)), CLUSTER) from None
        except OSError as error:
            raise CliError(f"cannot read the kubeconfig: {error}; pass --kubeconfig FILE "
                           "or set KUBECONFIG", CLUSTER) from None

    def resolved_namespace(self) -> str:
        """The namespace a namespaced command acts in."""
        if self.namespace:
            return self.namespace
        from kubernetes import config

        if not self._config_files() and _in_cluster():
            return IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
        try:
            contexts, active = config.list_kube_config_contexts(self.kubeconfig)
        except (config.ConfigException, OSError):
            return "default"
        chosen = active
        if self.context:
            chosen = next((c for c in contexts if c.get("name") == self.context), None)
        return str(((chosen or {}).get("context") or {}).get("namespace") or "default")

    def list_namespace(self) -> str | None:
        """None (every namespace) with -A, else the one namespace."""
        return None if self.all_namespaces else self.resolved_namespace()

    def _config_files(self) -> list[str]:
        if self.kubeconfig:
            return [self.kubeconfig]
        listed = os.environ.get("KUBECONFIG", "")
        found = [part for part in listed.split(os.pathsep) if part and Path(part).exists()]
        default = Path.home() / ".kube" / "config"
        return found or ([str(default)] if default.exists() else [])

    def _config_problem(self, detail: str) -> str:
        if self.kubeconfig and not Path(self.kubeconfig).is_file():
            return (f"--kubeconfig {self.kubeconfig}: no such file; pass the path of a "
                    "kubeconfig (`kubectl config view --raw` prints the one in use)")
        if self.context and "context" in detail.lower():
            return (f"no context {self.context!r} in the kubeconfig; "
                    "`kubectl config get-contexts` lists them")
        if not self._config_files():
            return ("no cluster configured: pass --kubeconfig FILE or --context NAME, "
                    "or set KUBECONFIG")
        return f"the kubeconfig cannot be used: {detail}; check it with `kubectl config view`"


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and IN_CLUSTER_NAMESPACE.exists()
