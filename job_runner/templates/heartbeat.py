"""heartbeat: proves that a schedule fires and the runner works end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from job_runner.template import RunContext, Template


class HeartbeatParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str | None = Field(
        default=None,
        max_length=256,
        description="Free text recorded with each beat, e.g. what this schedule watches.",
        examples=["nightly batch window is alive"],
    )


class HeartbeatOutputs(BaseModel):
    """What a beat records in status.lastRun.outputs."""

    model_config = ConfigDict(extra="forbid")

    beat: str = Field(description="When the beat happened, RFC 3339 in UTC to the second.")
    message: str | None = Field(description="The `message` parameter, null without one.")


class Heartbeat(Template[HeartbeatParameters]):
    name: ClassVar[str] = "heartbeat"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Records that the schedule is alive: each run succeeds with the time of the beat."
    )
    Parameters: ClassVar[type[BaseModel]] = HeartbeatParameters
    Outputs: ClassVar[type[BaseModel] | None] = HeartbeatOutputs
    examples: ClassVar[list[dict[str, Any]]] = [{}, {"message": "nightly batch window is alive"}]

    def plan(self, params: HeartbeatParameters, ctx: RunContext) -> dict[str, Any]:
        return {"wouldBeat": True, "message": params.message}

    def run(self, params: HeartbeatParameters, ctx: RunContext) -> dict[str, Any]:
        ctx.check_cancelled()
        beat = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        ctx.logger.info("heartbeat", extra={"beat": beat, "beatMessage": params.message})
        return {"beat": beat, "message": params.message}
