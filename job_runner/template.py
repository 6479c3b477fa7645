"""The template framework: the base class every job template implements, the context a
run receives, and the `SecretRef` parameter type for credentials."""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SELECTOR_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SECRET_REF_MARKER = "x-dynamicjobs-secret-ref"  # noqa: S105 (a schema keyword)


class TemplateError(Exception):
    """A failure with a message meant for people: the run is Failed with exactly this text."""


class RunInterrupted(Exception):
    """Raised inside a template when the run must stop now."""


class Cancelled(RunInterrupted):
    """The run was cancelled from outside (SIGTERM, a newer run replacing it)."""


class DeadlineExceeded(RunInterrupted):
    """The run's timeout has passed."""


class SecretKeySelector(BaseModel):
    """One key of one Kubernetes Secret in the DynamicJob's namespace."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN, description="Secret name."
    )
    key: str = Field(
        min_length=1, max_length=253, pattern=SELECTOR_KEY_PATTERN, description="Key in the Secret."
    )


class SecretRef(BaseModel):
    """A credential parameter: the value lives in a Secret, never in the spec.

    JSON form: ``{"secretRef": {"name": "db", "key": "password"}}``. The runner receives the
    value as an environment variable (see `job_runner.secrets`) and templates read it with
    ``ctx.secrets(ref)``.
    """

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        json_schema_extra={SECRET_REF_MARKER: True},
    )

    secret_ref: SecretKeySelector = Field(alias="secretRef")

    def describe(self) -> str:
        return f"secret {self.secret_ref.name!r} key {self.secret_ref.key!r}"


_STANDARD_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime"}
)


class JsonLineFormatter(logging.Formatter):
    """One JSON object per log line: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ).replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RunLogger(logging.LoggerAdapter):
    """Adds the run's identity to every record, keeping the caller's own `extra` too."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def _no_secrets(ref: SecretRef) -> str:
    raise TemplateError(f"{ref.describe()} was requested but no secret resolver is configured")


@dataclass
class RunContext:
    """What a template may know about and use during one attempt of one run."""

    run_id: str
    job: str | None = None
    namespace: str | None = None
    attempt: int = 1
    dry_run: bool = False
    deadline: float = float("inf")
    logger: logging.Logger | logging.LoggerAdapter = field(
        default_factory=lambda: logging.getLogger("dynamicjobs.template")
    )
    cancelled: threading.Event = field(default_factory=threading.Event)
    secrets: Callable[[SecretRef], str] = _no_secrets
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative, `inf` without a timeout)."""
        return self.deadline - self.clock()

    def check_cancelled(self) -> None:
        """Call between batches, rows or requests: raises if the run must stop."""
        if self.remaining() <= 0:
            raise DeadlineExceeded("the run's timeout has passed")
        if self.cancelled.is_set():
            raise Cancelled("the run was cancelled")


P = TypeVar("P", bound=BaseModel)


class Template(ABC, Generic[P]):
    """Base class of every job template.

    A subclass declares `name`, `version`, `description`, a pydantic `Parameters` model
    (``extra="forbid"``, every field described) and at least one example, and implements
    `plan` (dry run, no side effects) and `run`. Both return small JSON-serialisable dicts.
    Long work must call ``ctx.check_cancelled()`` regularly so deadlines and cancellation
    stop it cleanly.

    A template may also declare `Outputs`, a pydantic model (``extra="forbid"``, every field
    described) of the dict `run` returns: what lands in ``status.lastRun.outputs``. Fields
    without a default are keys every successful run has; the others appear only in some
    runs. The reference renders it, and the runner checks each real run's outputs against
    it (`output_problems`). It is optional: a template without it (``None``, the default,
    as for templates written before it existed) declares nothing and is not checked.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str]

    @classmethod
    def with_run(cls, parameters: dict[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters for notifying about ``run`` (its id, job, namespace, result,
        message, trigger, startedAt, finishedAt). A template that can tell people about a
        run overrides this; by default the parameters stay as they are."""
        return parameters
    Parameters: ClassVar[type[BaseModel]]
    examples: ClassVar[list[dict[str, Any]]]
    Outputs: ClassVar[type[BaseModel] | None] = None

    @classmethod
    def outputs_schema(cls) -> dict[str, Any] | None:
        """JSON Schema (draft 2020-12) of `Outputs`, ``None`` when the template declares none."""
        if cls.Outputs is None:
            return None
        schema = cls.Outputs.model_json_schema(by_alias=True, mode="serialization")
        return {"$schema": JSON_SCHEMA_DIALECT, **inline_refs(schema)}

    @classmethod
    def output_problems(cls, outputs: Mapping[str, Any]) -> list[str]:
        """What in a run's ``outputs`` its `Outputs` model does not declare: a key it does
        not know, a value of another type, a key every run has that is missing. Empty when
        they match, or when the template declares no `Outputs`."""
        if cls.Outputs is None:
            return []
        try:
            cls.Outputs.model_validate(dict(outputs), strict=True)
        except ValidationError as error:
            return [f"{'.'.join(map(str, e['loc'])) or '(outputs)'}: {e['msg']}"
                    for e in error.errors()]
        return []

    @classmethod
    def parameters_schema(cls) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of `Parameters`, with every `$ref` inlined."""
        schema = cls.Parameters.model_json_schema(by_alias=True, mode="validation")
        return {"$schema": JSON_SCHEMA_DIALECT, **inline_refs(schema)}

    @abstractmethod
    def plan(self, params: P, ctx: RunContext) -> dict[str, Any]:
        """Describe what `run` would do with these parameters, without doing it."""

    @abstractmethod
    def run(self, params: P, ctx: RunContext) -> dict[str, Any]:
        """Do the work; return the run's outputs."""


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace local ``#/$defs/...`` references by their definitions.

    Dashboards and CRD tooling handle a schema without `$ref` far better. A recursive
    model cannot be inlined; its schema is returned unchanged (still self-contained).
    """
    definitions = schema.get("$defs", {})

    def resolve(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [resolve(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in seen:
                raise RecursionError(name)
            result.update(resolve(definitions[name], (*seen, name)))
        for key, value in node.items():
            if key == "$ref" or key == "$defs":
                continue
            if key == "discriminator" and isinstance(value, dict):
                result[key] = {"propertyName": value["propertyName"]}
                continue
            if key == "properties" and isinstance(value, dict):
                result[key] = {prop: resolve(sub, seen) for prop, sub in value.items()}
            elif key in ("default", "examples", "const", "enum"):
                result[key] = value
            else:
                result[key] = resolve(value, seen)
        return result

    try:
        return resolve(schema, ())
    except RecursionError:
        return schema
