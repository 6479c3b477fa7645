"""Why a DynamicJob is suspended: annotations beside ``spec.suspend``.

``dynamicjobs suspend NAME --reason TEXT`` sets ``spec.suspend: true`` and these
annotations in one patch; ``resume`` clears all of them. kubectl users write the same
annotations. They are metadata a person (or their CLI) owns: the operator reads them and
never writes them, so it has nothing to fight a GitOps tool over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from job_runner.api.base import GROUP, ApiModel

ANNOTATION_SUSPEND_REASON = f"{GROUP}/suspend-reason"
"""Why the job was suspended, in the words of whoever did it."""
ANNOTATION_SUSPENDED_BY = f"{GROUP}/suspended-by"
"""Who suspended it (the user name the API server authenticated)."""
ANNOTATION_SUSPENDED_AT = f"{GROUP}/suspended-at"
"""When (RFC 3339, UTC)."""
SUSPENSION_ANNOTATIONS = (ANNOTATION_SUSPEND_REASON, ANNOTATION_SUSPENDED_BY,
                          ANNOTATION_SUSPENDED_AT)
REASON_MAX_LENGTH = 1024


class Suspension(ApiModel):
    """A suspended job's reason, who suspended it and when."""

    reason: str = ""
    by: str = ""
    since: str = ""

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Suspension | None:
        """The suspension of a DynamicJob's body; None when ``spec.suspend`` is not true."""
        spec = body.get("spec")
        if not isinstance(spec, Mapping) or spec.get("suspend") is not True:
            return None
        metadata = body.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        found = annotations if isinstance(annotations, Mapping) else {}
        return cls(reason=str(found.get(ANNOTATION_SUSPEND_REASON) or ""),
                   by=str(found.get(ANNOTATION_SUSPENDED_BY) or ""),
                   since=str(found.get(ANNOTATION_SUSPENDED_AT) or ""))
