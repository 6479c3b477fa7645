"""Small helpers for tests that create and inspect DynamicJobs on the real API server."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

GROUP, VERSION, PLURAL = "dynamicjobs.io", "v1alpha1", "dynamicjobs"
RUN_ANNOTATIONS = {f"{GROUP}/run-requested-at", f"{GROUP}/run-parameters",
                   f"{GROUP}/suspend-reason", f"{GROUP}/suspended-by", f"{GROUP}/suspended-at"}


def manifest(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "DynamicJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"template": "heartbeat", "schedule": "0 3 * * *", **spec},
    }


class DynamicJobs:
    def __init__(self, api_client: client.ApiClient, namespace: str) -> None:
        self.api = client.CustomObjectsApi(api_client)
        self.batch = client.BatchV1Api(api_client)
        self.namespace = namespace

    def create(self, name: str, **spec: Any) -> dict[str, Any]:
        return self.api.create_namespaced_custom_object(  # type: ignore[no-any-return]
            GROUP, VERSION, self.namespace, PLURAL, manifest(name, self.namespace, **spec))

    def get(self, name: str) -> dict[str, Any]:
        return self.api.get_namespaced_custom_object(  # type: ignore[no-any-return]
            GROUP, VERSION, self.namespace, PLURAL, name)

    def patch_spec(self, name: str, **spec: Any) -> dict[str, Any]:
        return self.api.patch_namespaced_custom_object(  # type: ignore[no-any-return]
            GROUP, VERSION, self.namespace, PLURAL, name, {"spec": spec})

    def delete(self, name: str) -> None:
        self.api.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)

    def condition(self, name: str, kind: str) -> dict[str, Any] | None:
        for condition in self.get(name).get("status", {}).get("conditions", []):
            if condition["type"] == kind:
                return condition  # type: ignore[no-any-return]
        return None

    def is_ready(self, name: str) -> bool:
        found = self.condition(name, "Ready")
        return bool(found and found["status"] == "True"
                    and found.get("observedGeneration") == self.get(name)["metadata"]["generation"])

    def is_settled(self, name: str) -> bool:
        """Ready for its generation, and no operator bookkeeping in its annotations (none
        is written now; kopf, which handled DynamicJobs before, kept a retry's state
        there). Only then does a restarted operator have nothing to write."""
        annotations = self.get(name)["metadata"].get("annotations") or {}
        in_progress = [key for key in annotations if key.startswith(f"{GROUP}/")
                       and key not in RUN_ANNOTATIONS]
        return self.is_ready(name) and not in_progress

    def cronjob(self, name: str) -> client.V1CronJob | None:
        try:
            return self.batch.read_namespaced_cron_job(name, self.namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
