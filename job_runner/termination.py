"""The run record a runner pod hands to the operator: its container's termination message.

The runner holds no credentials for the API. It writes its record, as compact JSON, to
the file named by the container's ``terminationMessagePath``; the kubelet copies it into
the pod's status when the container ends, and the operator reads it there and writes the
DynamicJob's status (`job_operator.runs.reported`).

The kubelet keeps 4,096 bytes. A record that does not fit is cut in steps, longest text
first, and says what was left out; the whole record is always in the pod's log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from job_runner.api import RunRecord
from job_runner.contract import (
    ENV_TERMINATION_MESSAGE_PATH,
    TERMINATION_MESSAGE_LIMIT,
    TERMINATION_MESSAGE_PATH,
)

SHORT_TEXT = 300
"""Each message, once a record has to be cut."""
CUT_NOTE = " (cut to fit the pod's 4 KiB termination message; the pod's log has the whole record)"


def _encoded(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8", "replace")


def _short(text: Any) -> Any:
    return text[:SHORT_TEXT] + "…" if isinstance(text, str) and len(text) > SHORT_TEXT else text


def _short_messages(data: dict[str, Any]) -> dict[str, Any]:
    return {
        **data,
        "message": _short(data.get("message", "")),
        "attemptHistory": [{**a, "message": _short(a.get("message", ""))}
                           for a in data.get("attemptHistory", [])],
        **({"notifications": [{**n, "message": _short(n.get("message", ""))}
                              for n in data["notifications"]]}
           if "notifications" in data else {}),
    }


def _cuts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Ever smaller versions of a record, each saying it was cut: short messages, then
    without outputs, then without the attempts' history and the overrides, then the bare
    result."""
    short = _short_messages(data)
    noted = {**short, "message": (short.get("message") or "") + CUT_NOTE}
    no_outputs = {**noted, "outputs": {}}
    no_history = {**no_outputs, "attemptHistory": [], "parameterOverrides": {}}
    bare: dict[str, Any] = {key: no_history[key] for key in
            ("id", "trigger", "startedAt", "finishedAt", "result", "attempts", "dryRun")
            if key in no_history}
    return [noted, no_outputs, no_history, {**bare, "message": CUT_NOTE.strip(" ()")}]


def termination_message(record: RunRecord) -> bytes:
    """``record`` as the bytes to write: whole when it fits, else the first cut that does."""
    data = record.to_api()
    encoded = _encoded(data)
    if len(encoded) <= TERMINATION_MESSAGE_LIMIT:
        return encoded
    for smaller in _cuts(data):
        encoded = _encoded(smaller)
        if len(encoded) <= TERMINATION_MESSAGE_LIMIT:
            return encoded
    return encoded[:TERMINATION_MESSAGE_LIMIT]  # unreachable: the bare record is small


def write_termination_message(record: RunRecord,
                              environ: Mapping[str, str] = os.environ) -> None:
    path = Path(environ.get(ENV_TERMINATION_MESSAGE_PATH) or TERMINATION_MESSAGE_PATH)
    path.write_bytes(termination_message(record))


def read_termination_message(message: str | None) -> RunRecord | None:
    """The record in a runner container's termination message; None when there is none or
    it is not a record (a runner that died before writing it, or an older image)."""
    if not message:
        return None
    try:
        return RunRecord.model_validate_json(message)
    except (ValidationError, ValueError):
        return None
