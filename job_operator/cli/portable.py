"""A DynamicJob as a manifest that can be applied anywhere: what the user declared, no more.

Kept: apiVersion, kind, name, namespace, labels, the user's annotations (the suspension's
included) and the spec. Dropped: status, everything the API server fills in (uid,
resourceVersion, generation, creationTimestamp, managedFields), the operator's
bookkeeping (kopf's ``dynamicjobs.io/*`` annotations, its finalizer), the client-side
apply record, and a pending run request, which would start a run where it is applied.
Tags (spec.tags) are written as ``tags.dynamicjobs.io/KEY`` labels too, so kubectl
selects the job by tag (docs/cli.md, "Tags").
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from job_operator.cli.gitops import LAST_APPLIED
from job_runner.api import API_VERSION, GROUP, SUSPENSION_ANNOTATIONS
from job_runner.contract import TAG_LABEL_PREFIX

OPERATOR_FINALIZER = f"{GROUP}/operator"


def _kept_annotation(key: str) -> bool:
    if key == LAST_APPLIED:
        return False
    return not key.startswith(f"{GROUP}/") or key in SUSPENSION_ANNOTATIONS


def tag_labels(labels: Mapping[str, str], spec: Mapping[str, Any]) -> dict[str, str]:
    """``labels`` with one ``tags.dynamicjobs.io/KEY`` label per tag, and none for a tag
    the spec no longer has."""
    raw = spec.get("tags")
    tags: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    kept = {k: v for k, v in labels.items() if not k.startswith(TAG_LABEL_PREFIX)}
    return {**kept, **{f"{TAG_LABEL_PREFIX}{key}": str(value)
                       for key, value in sorted(tags.items())}}


def portable(body: Mapping[str, Any], namespace: str | None = None) -> dict[str, Any]:
    """The clean manifest of ``body`` (a stored object or a file's), in ``namespace`` when
    it names none."""
    raw_metadata, raw_spec = body.get("metadata"), body.get("spec")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
    spec: dict[str, Any] = copy.deepcopy(dict(raw_spec)) if isinstance(raw_spec, Mapping) \
        else {}
    clean: dict[str, Any] = {"name": metadata.get("name")}
    if metadata.get("namespace") or namespace:
        clean["namespace"] = metadata.get("namespace") or namespace
    labels = tag_labels(metadata.get("labels") or {}, spec)
    if labels:
        clean["labels"] = labels
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items()
                   if _kept_annotation(k)}
    if annotations:
        clean["annotations"] = annotations
    finalizers = [f for f in metadata.get("finalizers") or [] if f != OPERATOR_FINALIZER]
    if finalizers:
        clean["finalizers"] = finalizers
    return {"apiVersion": body.get("apiVersion") or API_VERSION,
            "kind": body.get("kind") or "DynamicJob", "metadata": clean, "spec": spec}
