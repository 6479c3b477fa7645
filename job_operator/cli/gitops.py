"""Who else declares a field: a GitOps tool that would put its own value back.

Server-side appliers (Flux's kustomize-controller, Argo CD with server-side apply, our own
``import``) own the fields they apply in ``metadata.managedFields`` (operation ``Apply``);
client-side ``kubectl apply`` (Argo CD's default) keeps what it applied in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
FIELD_MANAGER = "dynamicjobs-cli"
"""Who wrote a field, in managedFields: our CLI's server-side applies and patches."""


def appliers_of(body: Mapping[str, Any], path: Sequence[str],
                ignore: str) -> list[str]:
    """The server-side-apply managers (other than ``ignore``) that own ``path``
    (e.g. ``("spec", "suspend")``)."""
    owners = []
    for entry in (body.get("metadata") or {}).get("managedFields") or []:
        if entry.get("operation") != "Apply" or entry.get("manager") == ignore:
            continue
        node: Any = entry.get("fieldsV1") or {}
        for part in path:
            node = node.get(f"f:{part}") if isinstance(node, Mapping) else None
        if node is not None:
            owners.append(str(entry.get("manager")))
    return owners


def last_applied_value(body: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    """(whether the last client-side ``kubectl apply`` declared ``path``, its value)."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    try:
        node: Any = json.loads(annotations.get(LAST_APPLIED) or "null")
    except ValueError:
        return False, None
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node
