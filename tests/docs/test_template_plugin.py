"""The template plugin of the guide (examples/template-plugin/) is a real distribution: it
is built into a wheel, installed into a folder of its own, and found by the runner's
registry and by the offline admission rules through its entry point, like a built-in.

The wheel is built by uv's own build backend (uv_build, which uv runs without downloading
it), so the test needs no network; the plugin goes into a temporary target on PYTHONPATH,
never into the project's virtualenv, so nothing else sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.docs.site import ROOT

PLUGIN = ROOT / "examples" / "template-plugin"
UV = Path(sys.executable).parent / "uv"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin built and installed: the folder to put on PYTHONPATH."""
    assert UV.is_file(), f"{UV} is missing: ./dev installs uv into .venv"
    work = tmp_path_factory.mktemp("plugin")
    built = subprocess.run([str(UV), "build", "--offline", "--wheel", "--out-dir",
                            str(work / "dist"), str(PLUGIN)],
                           check=False, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, (
        "uv builds the plugin offline only when its uv_build range (examples/template-plugin/"
        f"pyproject.toml) includes uv's own version (UV_VERSION in ./dev):\n{built.stderr}")
    [wheel] = (work / "dist").glob("*.whl")
    site = work / "site"
    subprocess.run([str(UV), "pip", "install", "--offline", "--no-deps", "--python",
                    sys.executable, "--target", str(site), str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
    return site


def python_with(site: Path | None) -> Run:
    def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(site)] * (site is not None) + [str(ROOT)])}
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=120, check=False)
    return run


def test_the_registry_finds_the_plugin_beside_the_built_ins(plugin_site: Path) -> None:
    done = python_with(plugin_site)("-m", "job_runner", "templates")
    assert done.returncode == 0, done.stderr
    catalogue = {entry["name"]: entry for entry in json.loads(done.stdout)}
    assert {"file-freshness", "heartbeat", "backup"} <= set(catalogue)
    schema = catalogue["file-freshness"]["parameters"]
    assert schema["required"] == ["path", "maxAgeHours"]
    assert "RuntimeWarning" not in done.stderr


def _params(tmp_path: Path, max_age_hours: int) -> str:
    params = tmp_path / f"params-{max_age_hours}.json"
    params.write_text(json.dumps({"path": str(tmp_path / "backups"),
                                  "maxAgeHours": max_age_hours}))
    return str(params)


def test_a_fresh_file_succeeds_and_a_stale_one_fails(plugin_site: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "orders-1.sql.gz"
    old.write_text("old")
    three_days_ago = time.time() - 3 * 86400
    os.utime(old, (three_days_ago, three_days_ago))
    run = python_with(plugin_site)

    stale = run("-m", "job_runner", "run", "--template", "file-freshness",
                "--params", _params(tmp_path, 26))
    assert stale.returncode == 1, stale.stdout + stale.stderr
    outcome = json.loads(stale.stdout)
    assert outcome["result"] == "Failed"
    assert "orders-1.sql.gz is 72.0 h old, more than 26 h" in outcome["message"]

    (backups / "orders-2.sql.gz").write_text("new")
    fresh = run("-m", "job_runner", "run", "--template", "file-freshness",
                "--params", _params(tmp_path, 26))
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert json.loads(fresh.stdout)["outputs"]["file"].endswith("orders-2.sql.gz")
    assert "declared Outputs" not in fresh.stderr, fresh.stderr  # outputs match the model


def test_admission_checks_its_parameters_and_needs_it_installed(plugin_site: Path,
                                                                tmp_path: Path) -> None:
    manifest = tmp_path / "job.yaml"
    job = {"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
           "metadata": {"name": "orders-backup-fresh"},
           "spec": {"template": "file-freshness", "schedule": "0 4 * * *",
                    "parameters": {"path": "/data/backups/orders", "maxAgeHours": 26}}}
    manifest.write_text(yaml.safe_dump(job))
    validate = ("-m", "job_operator.cli.main", "validate", str(manifest))

    assert python_with(plugin_site)(*validate).returncode == 0
    job["spec"]["parameters"]["maxAgeHours"] = 0
    manifest.write_text(yaml.safe_dump(job))
    refused = python_with(plugin_site)(*validate)
    assert refused.returncode == 1
    assert "spec.parameters.maxAgeHours" in refused.stdout + refused.stderr
    without = python_with(None)(*validate)
    assert without.returncode == 1
    assert "unknown template 'file-freshness'" in without.stdout + without.stderr
