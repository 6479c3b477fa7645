"""The legacy job file: APScheduler `add_job` arguments, one entry per job, as YAML or JSON.

The fields mirror ``scheduler.add_job(func, trigger, id=..., kwargs=..., max_instances=...,
misfire_grace_time=..., coalesce=..., next_run_time=...)`` plus what only a person can say:
which template replaces the function, and where each of its kwargs goes among the
template's parameters. docs/migration.md shows a whole file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CronField = int | str


class CronArgs(BaseModel):
    """APScheduler's `CronTrigger` fields. `day_of_week` counts from Monday (0 = mon), as
    APScheduler does, not from Sunday as cron does."""

    model_config = ConfigDict(extra="forbid")

    year: CronField | None = None
    month: CronField | None = None
    day: CronField | None = None
    week: CronField | None = None
    day_of_week: CronField | None = None
    hour: CronField | None = None
    minute: CronField | None = None
    second: CronField | None = None
    start_date: str | None = None
    end_date: str | None = None
    timezone: str | None = None
    jitter: int | None = None


class IntervalArgs(BaseModel):
    """APScheduler's `IntervalTrigger` fields."""

    model_config = ConfigDict(extra="forbid")

    weeks: float = 0
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0
    start_date: str | None = None
    end_date: str | None = None
    timezone: str | None = None
    jitter: int | None = None

    def total_seconds(self) -> float:
        return (((self.weeks * 7 + self.days) * 24 + self.hours) * 60 + self.minutes) * 60 \
            + self.seconds


class FromKwarg(BaseModel):
    """A parameter value taken from the legacy job's kwargs: ``{fromKwarg: days}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_kwarg: str = Field(alias="fromKwarg", min_length=1)


class LegacyJob(BaseModel):
    """One ``add_job`` call and its replacement."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="add_job's id: the DynamicJob is named after it.")
    func: str | None = Field(default=None, description="The legacy callable, for the record.")
    trigger: Literal["cron", "interval", "date"]
    trigger_args: dict[str, Any] = Field(default_factory=dict)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    args: list[Any] = Field(default_factory=list)
    max_instances: int = Field(default=1, ge=1)
    misfire_grace_time: int | None = Field(default=None, ge=1)
    coalesce: bool = True
    paused: bool = Field(default=False, description="next_run_time=None: added paused.")
    template: str = Field(min_length=1, description="The template that replaces `func`.")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="The template's parameters; a value `{fromKwarg: NAME}` takes kwargs[NAME].")
    ignore_kwargs: list[str] = Field(
        default_factory=list,
        description="kwargs deliberately left behind (each must be named, or it is refused).")
    spec: dict[str, Any] = Field(
        default_factory=dict,
        description="Further DynamicJob spec fields (timeoutSeconds, retries, notifications).")


class LegacyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    namespace: str | None = Field(default=None, description="Namespace of every manifest.")
    time_zone: str | None = Field(
        default=None, alias="timeZone",
        description="The legacy scheduler's time zone (its `timezone` option).")
    jobs: list[LegacyJob] = Field(min_length=1)
