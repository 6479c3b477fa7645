"""The two calls that record a run: read a DynamicJob, merge-patch its status.

Only the operator makes them (`job_operator.kube.Kube` has the two methods); runner pods
hold no credentials and report through their termination message (`job_runner.cluster`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from job_runner.api import GROUP, VERSION


class StatusConflict(Exception):
    """409: the DynamicJob changed after it was read; read it again."""


class StatusEndpoint(Protocol):
    def dynamicjob(self, namespace: str, name: str) -> dict[str, Any]: ...

    def patch_dynamicjob_status(self, namespace: str, name: str,
                                patch: Mapping[str, Any]) -> None:
        """Raises StatusConflict when ``patch``'s resourceVersion is no longer current."""


def dynamicjob_path(namespace: str, name: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/dynamicjobs/{name}"
