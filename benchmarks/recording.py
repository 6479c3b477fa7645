"""Print a benchmark's figures and append them to its results file (a JSON list)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def record(name: str, figures: dict[str, Any]) -> None:
    print(json.dumps(figures, indent=2))
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    history = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*history, figures], indent=2) + "\n")
