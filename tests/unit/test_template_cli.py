"""The local CLI: `python -m job_runner run --template NAME --params FILE`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from job_runner.__main__ import main


def test_heartbeat_run_prints_outcome_json(tmp_path: Path, capsys):
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"message": "alive"}))
    assert main(["run", "--template", "heartbeat", "--params", str(params)]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["result"] == "Succeeded"
    assert outcome["outputs"]["message"] == "alive" and outcome["outputs"]["beat"].endswith("Z")


def test_invalid_parameters_exit_non_zero(tmp_path: Path, capsys):
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"message": "x" * 300}))
    assert main(["run", "--template", "heartbeat", "--params", str(params)]) == 1
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["result"] == "Failed" and "parameters.message" in outcome["message"]


def test_unknown_template_lists_installed(tmp_path: Path, capsys):
    params = tmp_path / "p.json"
    params.write_text("{}")
    assert main(["run", "--template", "nope", "--params", str(params)]) == 2
    assert "heartbeat" in json.loads(capsys.readouterr().out)["message"]


def test_templates_subcommand_prints_catalogue(capsys):
    assert main(["templates"]) == 0
    catalogue = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert {"heartbeat", "data-export"} <= set(catalogue)
    assert "rows" in catalogue["data-export"]["outputs"]["properties"]


def test_sigterm_is_recorded_as_cancelled(tmp_path: Path):
    """A real runner process gets SIGTERM mid-request and still reports its outcome."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    acceptor = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
    acceptor.start()
    params = tmp_path / "p.json"
    params.write_text(json.dumps({
        "method": "GET", "url": f"http://127.0.0.1:{listener.getsockname()[1]}/slow",
    }))
    env = {**os.environ, "DYNAMICJOBS_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8"}
    process = subprocess.Popen(
        [sys.executable, "-m", "job_runner", "run", "--template", "webhook-trigger",
         "--params", str(params), "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        acceptor.join(timeout=20)
        assert accepted, "the runner never connected"
        process.send_signal(signal.SIGTERM)
        seen = ""
        while "signal received" not in seen:
            line = process.stderr.readline()
            assert line, f"runner exited without logging the signal: {seen}"
            seen += line
        accepted[0].close()
        out, err = process.communicate(timeout=20)
        err = seen + err
    finally:
        listener.close()
    assert process.returncode == 1, err
    assert json.loads(out)["result"] == "Cancelled"
    log_lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(line["message"] == "signal received, cancelling the run" for line in log_lines)
