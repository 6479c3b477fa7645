"""``dynamicjobs validate``: files, directories, stdin, output formats and exit codes."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from job_operator.cli.main import main

REPO = Path(__file__).resolve().parents[2]

VALID = """\
apiVersion: dynamicjobs.io/v1alpha1
kind: DynamicJob
metadata:
  name: nightly
  namespace: team-a
spec:
  template: heartbeat
  schedule: "0 3 * * *"
  timeZone: Europe/Berlin
"""

INVALID = """\
apiVersion: dynamicjobs.io/v1alpha1
kind: DynamicJob
metadata:
  name: broken
  namespace: team-a
spec:
  template: heartbeat
  schedule: "61 * * * *"
  parameters:
    message: 5
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def feed_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def test_every_example_is_a_valid_dynamicjob(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted((REPO / "examples").glob("*.yaml"))
    assert examples, "examples/ holds no *.yaml"
    code, out, err = run(capsys, "-o", "json", *map(str, examples))
    entries = json.loads(out)
    assert (code, err) == (0, ""), out
    assert {Path(entry["file"]) for entry in entries} == set(examples)
    assert all(entry["valid"] and entry["problems"] == [] for entry in entries)


def test_a_valid_file_exits_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "job.yaml", VALID)
    code, out, err = run(capsys, path)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["1 DynamicJob checked, 0 invalid"]


def test_each_problem_is_one_line_naming_file_job_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "job.yaml", INVALID)
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines() == [
        f'{path} team-a/broken: spec.schedule: field 1 (minute) "61": above maximum 59',
        f"{path} team-a/broken: spec.parameters.message: must be a string, not an integer",
        "1 DynamicJob checked, 1 invalid",
    ]


def test_without_a_namespace_only_the_name_is_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "job.yaml", INVALID.replace("  namespace: team-a\n", ""))
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines()[0].startswith(f"{path} broken: spec.schedule: ")


def test_multi_document_yaml_and_lists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    as_list = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [
        yaml.safe_load(VALID), yaml.safe_load(DEPLOYMENT), yaml.safe_load(INVALID),
    ]})
    path = write(tmp_path, "all.yaml", "---\n".join([DEPLOYMENT, INVALID, as_list]))
    code, out, _ = run(capsys, "-v", path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{path}:doc1: skipped: apps/v1 Deployment, not a DynamicJob"
    assert f"{path}:doc3:items[1]: skipped: apps/v1 Deployment, not a DynamicJob" in lines
    assert f"{path}:doc3:items[0] team-a/nightly: valid" in lines
    broken = [line for line in lines if "team-a/broken" in line]
    assert [line.split(" ")[0] for line in broken] == [f"{path}:doc2"] * 2 + [
        f"{path}:doc3:items[2]"] * 2
    assert lines[-1] == "3 DynamicJobs checked, 2 invalid"


def test_skipped_documents_are_only_mentioned_with_verbose(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "two.yaml", DEPLOYMENT + "---\n" + VALID)
    code, out, _ = run(capsys, path)
    assert (code, out) == (0, "1 DynamicJob checked, 0 invalid\n")


def test_json_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.yaml", VALID + "---\n" + INVALID)
    code, out, err = run(capsys, "-o", "json", path)
    assert (code, err) == (1, "")
    assert json.loads(out) == [
        {"file": path, "document": 1, "name": "nightly", "namespace": "team-a",
         "valid": True, "problems": []},
        {"file": path, "document": 2, "name": "broken", "namespace": "team-a",
         "valid": False, "problems": [
             {"field": "spec.schedule", "message": 'field 1 (minute) "61": above maximum 59'},
             {"field": "spec.parameters.message",
              "message": "must be a string, not an integer"},
         ]},
    ]


def test_json_output_keeps_notes_off_stdout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "two.yaml", DEPLOYMENT + "---\n" + VALID)
    code, out, err = run(capsys, "-o", "json", "-v", path)
    assert code == 0
    assert [entry["name"] for entry in json.loads(out)] == ["nightly"]
    assert "skipped: apps/v1 Deployment" in err


def test_a_yaml_syntax_error_names_file_and_line_and_the_rest_is_still_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = write(tmp_path, "a-broken.yaml", VALID.replace("  template: heartbeat\n",
                                                            "  template: [heartbeat\n"))
    bad = write(tmp_path, "b-invalid.yaml", INVALID)
    code, out, _ = run(capsys, broken, bad)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{broken}:8:")  # the parser notices at the next line
    assert "YAML syntax error" in lines[0]
    assert any(line.startswith(f"{bad} team-a/broken: ") for line in lines)
    assert lines[-1] == "1 DynamicJob checked, 1 invalid; 1 file could not be read as manifests"


def test_a_duplicate_key_is_an_error_with_both_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "dup.yaml", VALID + '  schedule: "@daily"\n')
    code, out, _ = run(capsys, "-o", "json", path)
    [entry] = json.loads(out)
    assert code == 1 and entry["valid"] is False and entry["document"] is None
    message = entry["problems"][0]["message"]
    assert message.startswith(f"{path}:10:3: YAML syntax error")
    assert "duplicate key 'schedule' (first at line 8)" in message


def test_timestamps_stay_strings_as_the_api_server_reads_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "job.yaml", VALID + "  parameters:\n    message: 2026-01-01\n")
    code, out, _ = run(capsys, path)
    assert (code, out) == (0, "1 DynamicJob checked, 0 invalid\n")


@pytest.mark.parametrize("text", ["", "\n", "---\n", "# only a comment\n"])
def test_an_empty_file_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    path = write(tmp_path, "empty.yaml", text)
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines()[0] == f"{path}: empty: no YAML or JSON document in it"


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, INVALID)
    code, out, _ = run(capsys, "-")
    assert code == 1
    assert out.splitlines()[0].startswith("<stdin> team-a/broken: spec.schedule: ")


def test_empty_stdin_is_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_stdin(monkeypatch, "")
    code, out, _ = run(capsys, "-")
    assert code == 1 and out.startswith("<stdin>: empty")


def test_directories_are_searched_recursively_for_manifest_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(tmp_path, "a.yaml", VALID)
    write(tmp_path, "nested/deeper/b.yml", INVALID)
    write(tmp_path, "nested/c.json", json.dumps(yaml.safe_load(VALID)))
    write(tmp_path, "nested/notes.txt", "not: [a manifest")
    code, out, _ = run(capsys, "-o", "json", str(tmp_path))
    entries = json.loads(out)
    assert code == 1
    assert [(Path(e["file"]).relative_to(tmp_path).as_posix(), e["valid"]) for e in entries] == [
        ("a.yaml", True), ("nested/c.json", True), ("nested/deeper/b.yml", False),
    ]


def test_a_json_syntax_error_names_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "job.json", '{\n  "apiVersion": "dynamicjobs.io/v1alpha1",\n  "kind"\n}')
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines()[0].startswith(
        f"{path}:4:1: JSON syntax error: Expecting ':' delimiter")


def test_an_unserved_version_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "job.yaml", VALID.replace("v1alpha1", "v1beta1"))
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path} team-a/nightly: apiVersion: 'dynamicjobs.io/v1beta1' is not served; "
        "use 'dynamicjobs.io/v1alpha1'"
    )


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  name: nightly\n  namespace: team-a\n", "",
     "<unnamed>: metadata: must be an object with a name"),
    ("  name: nightly\n", "  name: 5\n", "team-a/<unnamed>: metadata.name: must be a string"),
    ("spec:\n  template: heartbeat\n", "spec: heartbeat\nx:\n  template: heartbeat\n",
     "team-a/nightly: spec: must be an object"),
])
def test_misshapen_metadata_or_spec_is_reported_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, expected: str
) -> None:
    path = write(tmp_path, "job.yaml", VALID.replace(old, new))
    code, out, _ = run(capsys, path)
    assert code == 1
    assert out.splitlines()[0] == f"{path} {expected}"


def test_secret_access_is_not_checked_offline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    job: dict[str, Any] = yaml.safe_load(VALID)
    job["spec"].update(template="webhook-trigger", parameters={
        "url": "https://hooks.example.com/x", "method": "POST",
        "headers": {"Authorization": {"secretRef": {"name": "other-team", "key": "token"}}},
    })
    path = write(tmp_path, "job.yaml", yaml.safe_dump(job))
    code, out, _ = run(capsys, path)
    assert (code, out) == (0, "1 DynamicJob checked, 0 invalid\n")
    help_text = main_help(capsys)
    assert "Secret" in help_text and "webhook checks it" in help_text


def main_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("setup", ["missing", "empty-dir", "no-dynamicjob"])
def test_io_errors_exit_two(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setup: str
) -> None:
    if setup == "missing":
        target, expected = str(tmp_path / "nope.yaml"), "no such file or directory"
    elif setup == "empty-dir":
        (tmp_path / "d").mkdir()
        write(tmp_path, "d/readme.md", "# nothing")
        target, expected = str(tmp_path / "d"), "no *.yaml, *.yml, *.json files"
    else:
        target, expected = write(tmp_path, "deploy.yaml", DEPLOYMENT), "no DynamicJob found"
    code, _, err = run(capsys, target)
    assert code == 2
    assert expected in err


def test_an_io_error_wins_over_invalid_manifests_but_they_are_still_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.yaml", INVALID)
    code, out, err = run(capsys, str(tmp_path / "nope.yaml"), bad)
    assert code == 2
    assert "nope.yaml: no such file or directory" in err
    assert f"{bad} team-a/broken: spec.schedule" in out


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate"])
    assert exited.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_the_schedule_subcommand_is_still_there(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "@daily", "--count", "1", "-o", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["nextRuns"]) == 1


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_hostile_nesting_is_reported_not_crashed_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    depth = 5_000
    nested = "{a: " * depth + "{}" + "}" * depth if suffix == "yaml" else \
        '{"a": ' * depth + "{}" + "}" * depth
    body = ('{"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob", '
            '"metadata": {"name": "deep"}, "spec": {"template": "heartbeat", '
            f'"schedule": "0 3 * * *", "parameters": {nested}}}}}')
    path = tmp_path / f"deep.{suffix}"
    path.write_text(body)
    assert main(["validate", str(path)]) == 1
    assert "nested too deeply to read" in capsys.readouterr().out


def test_moderately_deep_parameters_name_the_limit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nested = '{"a": ' * 100 + "{}" + "}" * 100
    path = tmp_path / "deep.json"
    path.write_text('{"apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob", '
                    '"metadata": {"name": "deep"}, "spec": {"template": "heartbeat", '
                    f'"schedule": "0 3 * * *", "parameters": {nested}}}}}')
    assert main(["validate", str(path)]) == 1
    assert "spec.parameters: nested deeper than 16 levels" in capsys.readouterr().out


def test_a_name_the_api_server_refuses_is_invalid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump({
        "apiVersion": "dynamicjobs.io/v1alpha1", "kind": "DynamicJob",
        "metadata": {"name": "Nightly_Export"},
        "spec": {"template": "heartbeat", "schedule": "0 3 * * *"}}))
    assert main(["validate", str(path)]) == 1
    assert "metadata.name: 'Nightly_Export' is not a DNS-1123 subdomain" in \
        capsys.readouterr().out
