"""``dynamicjobs validate FILE...``: every admission rule except Secret access, offline."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from job_operator.cli import manifests
from job_operator.cli.exits import OK, PROBLEMS, USAGE
from job_operator.dependencies import depends_on
from job_operator.validation import Problem, validate_dynamicjob
from job_runner.api import API_VERSION


def _shape_problems(body: dict[str, Any]) -> list[Problem]:
    """Shapes that `validate_dynamicjob` assumes (it raises on them rather than reporting)."""
    problems = []
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.append(Problem("metadata", "must be an object with a name"))
    elif "name" in metadata and not isinstance(metadata["name"], str):
        problems.append(Problem("metadata.name", "must be a string"))
    if not isinstance(body.get("spec", {}), dict):
        problems.append(Problem("spec", "must be an object"))
    return problems


def problems_of(document: manifests.Document,
                siblings: dict[str, list[str]]) -> list[Problem]:
    """Every problem the webhook would name, but Secret access (that needs the cluster)."""
    return body_problems(document.body, siblings)


def body_problems(body: Any, siblings: dict[str, list[str]]) -> list[Problem]:
    if not isinstance(body, dict):
        return [Problem("", "not a Kubernetes object")]
    problems = _shape_problems(body) or validate_dynamicjob(body, siblings=siblings).problems
    api_version = body.get("apiVersion")
    if api_version != API_VERSION:
        problems.insert(0, Problem(
            "apiVersion", f"{api_version!r} is not served; use {API_VERSION!r}"))
    return problems


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def load_all(raw_paths: list[str]) -> tuple[list[manifests.FileResult], bool]:
    """Every input read once (stdin can only be), and whether any could not be read."""
    results, io_error = [], False
    for raw in raw_paths:
        try:
            files = manifests.expand(raw)
        except manifests.InputError as error:
            print(f"error: {error}", file=sys.stderr)
            io_error = True
            continue
        for path in files:
            try:
                results.append(manifests.load(path))
            except manifests.InputError as error:
                print(f"error: {error}", file=sys.stderr)
                io_error = True
    return results, io_error


def dependency_graphs(results: list[manifests.FileResult]) -> dict[Any, dict[str, list[str]]]:
    """Per namespace, each job's dependsOn names: the input's jobs are checked for cycles
    among themselves (jobs already in the cluster are the webhook's to see)."""
    graphs: dict[Any, dict[str, list[str]]] = {}
    for result in results:
        for document in result.documents:
            body = document.body
            metadata, spec = body.get("metadata"), body.get("spec")
            if document.is_dynamicjob() and isinstance(metadata, dict) \
                    and isinstance(metadata.get("name"), str) and isinstance(spec, dict):
                graph = graphs.setdefault(metadata.get("namespace"), {})
                graph[metadata["name"]] = depends_on(spec)
    return graphs


@click.command("validate")
@click.argument("files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(allow_dash=True))
@click.option("-o", "--output", type=click.Choice(("text", "json")), default="text",
              show_default=True)
@click.option("-v", "--verbose", is_flag=True,
              help="Also list valid DynamicJobs and skipped documents.")
def validate_command(files: tuple[str, ...], output: str, verbose: bool) -> int:
    """Check DynamicJob manifests offline (for CI), with the rules the admission webhook
    and the operator apply (see docs/validation.md): structure, name and size limits,
    schedule and time zone, tags, the template and its parameters.

    Not checked offline: whether the user applying the manifest may read each Secret it
    references (that needs the API server; the webhook checks it), and templates that are
    installed in the cluster but not here (the catalogue is the one installed with this
    CLI).

    FILE is a YAML or JSON file, a directory (searched recursively for *.yaml, *.yml,
    *.json) or - for stdin. Multi-document YAML and kind: List are read; documents that
    are not dynamicjobs.io DynamicJobs are skipped (-v says which).

    Exit status: 0 all valid, 1 a manifest is invalid (including YAML syntax errors and
    empty files), 2 usage or I/O error (a missing or unreadable path, no DynamicJob at
    all).
    """
    notes = sys.stdout if output == "text" else sys.stderr
    entries: list[dict[str, Any]] = []
    lines: list[str] = []
    invalid = False
    checked = 0
    results, io_error = load_all(list(files))
    graphs = dependency_graphs(results)
    for result in results:
        if result.error is not None:
            invalid = True
            lines.append(result.error)
            entries.append({
                "file": result.file, "document": None, "name": None, "namespace": None,
                "valid": False, "problems": [{"field": None, "message": result.error}],
            })
            continue
        for document in result.documents:
            if not document.is_dynamicjob():
                if verbose:
                    print(f"{document.location}: skipped: {document.describe()}, "
                          "not a DynamicJob", file=notes)
                continue
            checked += 1
            metadata = document.body.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else {}
            name, namespace = _text(metadata.get("name")), _text(metadata.get("namespace"))
            siblings = {other: upstreams for other, upstreams
                        in graphs.get(namespace, {}).items() if other != name}
            problems = problems_of(document, siblings)
            invalid = invalid or bool(problems)
            who = f"{namespace}/{name or '<unnamed>'}" if namespace else (name or "<unnamed>")
            for problem in problems:
                lines.append(f"{document.location} {who}: {problem.field}: {problem.message}")
            if not problems and verbose:
                lines.append(f"{document.location} {who}: valid")
            entries.append({
                "file": document.file, "document": document.document,
                **({"item": document.item} if document.item is not None else {}),
                "name": name, "namespace": namespace, "valid": not problems,
                "problems": [{"field": p.field, "message": p.message} for p in problems],
            })
    if not io_error and not entries:
        print("error: no DynamicJob found in the input; nothing was validated",
              file=sys.stderr)
        io_error = True
    if output == "json":
        print(json.dumps(entries, indent=2))
    else:
        for line in lines:
            print(line)
        bad_jobs = sum(1 for e in entries if e["document"] is not None and not e["valid"])
        bad_files = sum(1 for e in entries if e["document"] is None)
        summary = f"{checked} DynamicJob{'s' * (checked != 1)} checked, {bad_jobs} invalid"
        if bad_files:
            summary += f"; {bad_files} file{'s' * (bad_files != 1)} could not be read as manifests"
        if entries:
            print(summary)
    if io_error:
        return USAGE
    return PROBLEMS if invalid else OK


