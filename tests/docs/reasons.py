"""Every condition reason and Event reason the operator can write, read from its source.

Reasons are string literals at a handful of kinds of call sites: an ``Observation`` (a
condition), ``stalled(reason, ...)``, ``ready(message, reason)``, a ``RunHealth`` (the
Degraded condition), an Event (``post``, ``kopf.info``/``kopf.warn`` with ``reason=``), a
variable named ``reason`` or a parameter's default; not the reason of an abnormal-true
condition observed False, which is removed instead of written.
Run Events are ``f"Run{result}"`` and Degraded reasons ``f"LastRun{result}"``: those are
expanded with the results they can take. Reading the source (not a list kept by hand)
means a new reason shows up here, and in the troubleshooting page's test, by itself.
"""

from __future__ import annotations

import ast
import re

from job_operator.controller.conditions import ONLY_WHILE_TRUE
from job_operator.metrics.health import FAILED_RESULTS
from job_runner.api.status import FINISHED_RESULTS
from tests.docs.site import ROOT

REASON_CALLS = {"Observation": 2, "stalled": 0, "ready": 1, "RunHealth": 1, "post": 2}
NOT_REASONS = {
    "Error": "a pod's termination reason, quoted in a lost run's message (runs/lost.py)",
    "Run": "the prefix of f'Run{result}'",
    "LastRun": "the prefix of f'LastRun{result}'",
}
_CAMEL = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z]+)+$|^[A-Z][a-z]{3,}$")
_TEMPLATED = {"Run": FINISHED_RESULTS, "LastRun": FAILED_RESULTS}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _literals(node: ast.AST | None) -> set[str]:
    """String constants in ``node`` (both arms of an ``x if c else y``), and the
    expansions of ``f"Run{...}"``/``f"LastRun{...}"``."""
    found: set[str] = set()
    if node is None:
        return found
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            found.add(inner.value)
        elif isinstance(inner, ast.JoinedStr) and inner.values and isinstance(
                inner.values[0], ast.Constant) and inner.values[0].value in _TEMPLATED:
            prefix = str(inner.values[0].value)
            found |= {prefix + result for result in _TEMPLATED[prefix]}
    return found


def _constant(call: ast.Call, position: int) -> object:
    """The call's positional argument at ``position`` when it is a literal, else None."""
    argument = call.args[position] if position < len(call.args) else None
    return argument.value if isinstance(argument, ast.Constant) else None


def _never_stored(call: ast.Call) -> bool:
    """An abnormal-true condition observed False (``Observation("Degraded", "False", ...)``,
    ``RunHealth(False, ...)``): the condition is removed, so its reason is never written."""
    name = _name(call.func)
    if name == "Observation":
        return _constant(call, 0) in ONLY_WHILE_TRUE and _constant(call, 1) == "False"
    return name == "RunHealth" and _constant(call, 0) is False


def _reason_nodes(tree: ast.AST) -> list[ast.AST | None]:
    nodes: list[ast.AST | None] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _never_stored(node):
            continue
        if isinstance(node, ast.Call):
            position = REASON_CALLS.get(_name(node.func))
            if position is not None and len(node.args) > position:
                nodes.append(node.args[position])
            nodes += [k.value for k in node.keywords if k.arg == "reason"]
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "reason" for t in node.targets):
            nodes.append(node.value)
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Call) and \
                _name(node.value.func) == "RunHealth" and not _never_stored(node.value):
            nodes.append(node.value)
        elif isinstance(node, ast.FunctionDef):  # def ready(message, reason="Reconciled")
            positional = node.args.args[len(node.args.args) - len(node.args.defaults):]
            nodes += [default for arg, default in zip(positional, node.args.defaults,
                                                      strict=True) if arg.arg == "reason"]
    return nodes


def operator_reasons() -> set[str]:
    reasons: set[str] = set()
    for path in sorted((ROOT / "job_operator").rglob("*.py")):
        if "cli" in path.relative_to(ROOT).parts:
            continue  # the CLI prints; it writes no condition and posts no Event
        tree = ast.parse(path.read_text())
        for node in _reason_nodes(tree):
            reasons |= {text for text in _literals(node) if _CAMEL.match(text)}
    return reasons - set(NOT_REASONS)
