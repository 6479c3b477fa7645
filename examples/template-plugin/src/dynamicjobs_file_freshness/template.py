"""file-freshness: fails when a file, or the newest file of a directory, is older than a
limit. Scheduled after a backup or an export, it turns "the job ran" into "its output is
there and recent", and its failure notifies like any other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from job_runner.template import RunContext, Template, TemplateError


class FreshnessParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: str = Field(
        pattern=r"^/", max_length=4096,
        description="Absolute path of a file, or of a directory whose newest file counts.")
    max_age_hours: int = Field(
        alias="maxAgeHours", ge=1, le=8760,
        description="Fail when the file was last modified longer ago than this.")


class FreshnessOutputs(BaseModel):
    """What a run records in status.lastRun.outputs: declared, so the reference and the
    runner's check know each key (optional: a template without it declares nothing)."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="The file whose age was checked.")
    age_hours: float = Field(alias="ageHours", description="Its age in hours, at the check.")
    modified_at: str = Field(alias="modifiedAt",
                             description="When it was last modified, RFC 3339 in UTC.")


def newest_file(path: Path) -> Path:
    """``path`` itself, or the most recently modified file directly inside it."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise TemplateError(f"{path} does not exist")
    files = [entry for entry in path.iterdir() if entry.is_file()]
    if not files:
        raise TemplateError(f"{path} holds no file")
    return max(files, key=lambda entry: entry.stat().st_mtime)


class FileFreshness(Template[FreshnessParameters]):
    name: ClassVar[str] = "file-freshness"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Fails when a file, or the newest file in a directory, is older than maxAgeHours.")
    Parameters: ClassVar[type[BaseModel]] = FreshnessParameters
    Outputs: ClassVar[type[BaseModel] | None] = FreshnessOutputs
    examples: ClassVar[list[dict[str, Any]]] = [
        {"path": "/data/backups/orders", "maxAgeHours": 26},
    ]

    def plan(self, params: FreshnessParameters, ctx: RunContext) -> dict[str, Any]:
        return {"wouldCheck": params.path, "maxAgeHours": params.max_age_hours}

    def run(self, params: FreshnessParameters, ctx: RunContext) -> dict[str, Any]:
        ctx.check_cancelled()
        found = newest_file(Path(params.path))
        modified = datetime.fromtimestamp(found.stat().st_mtime, UTC)
        age_hours = (datetime.now(UTC) - modified).total_seconds() / 3600
        if age_hours > params.max_age_hours:
            raise TemplateError(f"{found} is {age_hours:.1f} h old, more than "
                                f"{params.max_age_hours} h")
        ctx.logger.info("fresh enough", extra={"file": str(found)})
        return {"file": str(found), "ageHours": round(age_hours, 2),
                "modifiedAt": modified.isoformat(timespec="seconds").replace("+00:00", "Z")}
