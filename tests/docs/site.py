"""Build the documentation site with mkdocs, as CI does, into a folder of the caller's."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"


@dataclass(frozen=True)
class Build:
    returncode: int
    log: str


def build_site(site_dir: Path, config: Path = CONFIG) -> Build:
    """``mkdocs build --strict`` of ``config`` into ``site_dir``; its exit code and log.

    Never with ``--quiet``: mkdocs 1.6 then drops the warnings before --strict counts them,
    and a broken link passes.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(config), "--site-dir", str(site_dir)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )
    return Build(done.returncode, done.stdout + done.stderr)


def config_for(docs_dir: Path, into: Path) -> Path:
    """A copy of mkdocs.yml, written into ``into``, that builds ``docs_dir`` instead of docs/."""
    text = CONFIG.read_text()
    assert "\ndocs_dir: docs\n" in text
    text = text.replace("\ndocs_dir: docs\n", f"\ndocs_dir: {docs_dir}\n")
    path = into / "mkdocs.yml"
    path.write_text(text)
    return path
