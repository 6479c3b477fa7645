"""Legacy `add_job` definitions to DynamicJob manifests, refusing what cannot be kept.

Each refusal names the job and the reason, so nothing is silently approximated: a trigger
that would fire at other times, a kwarg that would be dropped, a behaviour a CronJob
does not have. Every manifest made is also checked by the admission rules offline
(`job_operator.validation`), so what this returns is what the webhook accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from job_operator.migration.legacy import CronArgs, FromKwarg, IntervalArgs, LegacyFile, LegacyJob
from job_operator.validation import validate_dynamicjob
from job_runner.api import API_VERSION

MIGRATION_LABEL = "dynamicjobs.io/migration"
MIGRATION_VALUE = "legacy-scheduler"
LEGACY_ID_ANNOTATION = "dynamicjobs.io/legacy-id"
LEGACY_FUNC_ANNOTATION = "dynamicjobs.io/legacy-func"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DAYS = "mon tue wed thu fri sat sun".split()
_SIGNIFICANCE = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
_MINIMUM = {"month": "1", "day": "1", "hour": "0", "minute": "0", "second": "0"}


class Unmappable(Exception):
    """This legacy definition has no faithful DynamicJob; the message says why."""


@dataclass
class Conversion:
    manifests: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)
    """(legacy id, reason) per job that could not be converted."""


def dynamicjob_name(job_id: str) -> str:
    name = job_id.lower().replace("_", "-")
    if len(name) > 52 or not _NAME.match(name):
        raise Unmappable(f"id {job_id!r} does not make a DynamicJob name (lowercase letters, "
                         "digits and '-', at most 52 characters)")
    return name


def _cron_value(name: str, value: int | str) -> str:
    text = str(value).strip().lower()
    if name == "month":
        for number, month in enumerate(_MONTHS, start=1):
            text = re.sub(rf"\b{month}\b", str(number), text)
    if not _CRON_FIELD.match(text):
        raise Unmappable(f"cron field {name}={value!r} has no cron equivalent (only numbers, "
                         "'*', ranges, steps and lists map)")
    return text


def _weekdays(value: int | str) -> str:
    """APScheduler's day_of_week (0 = Monday) as cron's (0 = Sunday), as a list of days."""
    text = str(value).strip().lower()
    if text == "*":
        return "*"
    for number, day in enumerate(_DAYS):
        text = re.sub(rf"\b{day}\b", str(number), text)
    if not _CRON_FIELD.match(text):
        raise Unmappable(f"cron field day_of_week={value!r} has no cron equivalent")
    days: set[int] = set()
    for item in text.split(","):
        span, _, step = item.partition("/")
        first, _, last = ("0-6" if span == "*" else span).partition("-")
        start, end = int(first), int(last or (6 if step else first))
        if not 0 <= start <= end <= 6:
            raise Unmappable(f"day_of_week={value!r} is out of range (0 = mon .. 6 = sun)")
        days.update(range(start, end + 1, int(step or 1)))
    return _runs(sorted((day + 1) % 7 for day in days))


def _runs(numbers: list[int]) -> str:
    """``1,2,3,5`` as ``1-3,5``."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(parts)


def cron_schedule(args: CronArgs) -> str:
    """The five cron fields APScheduler would fire on. Fields less significant than the
    least significant one given default to their minimum (week and day_of_week to '*'),
    more significant ones to '*', as APScheduler's CronTrigger does."""
    for option in ("start_date", "end_date", "jitter"):
        if getattr(args, option) is not None:
            raise Unmappable(f"cron trigger option {option} cannot be kept by a CronJob")
    given = [name for name in _SIGNIFICANCE if getattr(args, name) is not None]
    if not given:
        raise Unmappable("a cron trigger without fields fires every second")
    least = _SIGNIFICANCE.index(given[-1])
    values: dict[str, str] = {}
    for position, name in enumerate(_SIGNIFICANCE):
        raw = getattr(args, name)
        if raw is not None:
            values[name] = str(raw).strip().lower()
        elif position > least and name in _MINIMUM:
            values[name] = _MINIMUM[name]
        else:
            values[name] = "*"
    for name in ("year", "week"):
        if values[name] != "*":
            raise Unmappable(f"cron field {name}={values[name]!r} has no cron equivalent")
    if values["second"] != "0":
        raise Unmappable(f"fires at second {values['second']!r}; a CronJob fires on whole "
                         "minutes (give second=0)")
    return " ".join([_cron_value("minute", values["minute"]), _cron_value("hour", values["hour"]),
                     _cron_value("day", values["day"]), _cron_value("month", values["month"]),
                     _weekdays(values["day_of_week"])])


def go_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{amount}{unit}" for amount, unit in ((hours, "h"), (minutes, "m"),
                                                         (secs, "s")) if amount) or "0s"


def interval_schedule(args: IntervalArgs) -> str:
    """``@every <duration>``: counted from the CronJob's creation or last scheduled time
    (docs/migration.md says where that differs from the legacy trigger)."""
    for option in ("start_date", "end_date", "jitter"):
        if getattr(args, option) is not None:
            raise Unmappable(f"interval trigger option {option} cannot be kept by a CronJob")
    total = args.total_seconds()
    if total != int(total):
        raise Unmappable(f"an interval of {total} s is not whole seconds")
    if total < 60:
        raise Unmappable(f"an interval of {int(total)} s is under a minute: a CronJob starts "
                         "at most one Job a minute")
    return f"@every {go_duration(int(total))}"


def _parameters(job: LegacyJob) -> dict[str, Any]:
    used: set[str] = set()

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"fromKwarg"}:
            reference = FromKwarg.model_validate(value).from_kwarg
            if reference not in job.kwargs:
                raise Unmappable(f"parameter takes kwarg {reference!r}, which the job "
                                 f"does not pass")
            used.add(reference)
            return job.kwargs[reference]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    parameters = resolve(job.parameters)
    left = sorted(set(job.kwargs) - used - set(job.ignore_kwargs))
    if left:
        raise Unmappable(f"kwargs {', '.join(map(repr, left))} reach no parameter: map them "
                         "with {fromKwarg: NAME} or list them in ignore_kwargs")
    return parameters


def _schedule(job: LegacyJob) -> tuple[str, str | None]:
    try:
        if job.trigger == "cron":
            cron = CronArgs.model_validate(job.trigger_args)
            return cron_schedule(cron), cron.timezone
        if job.trigger == "interval":
            interval = IntervalArgs.model_validate(job.trigger_args)
            return interval_schedule(interval), interval.timezone
    except ValidationError as error:
        raise Unmappable(f"trigger_args: {error.errors()[0]['loc']}: "
                         f"{error.errors()[0]['msg']}") from None
    raise Unmappable("a date trigger runs once: start it with `dynamicjobs run` instead")


def manifest(job: LegacyJob, legacy: LegacyFile, *, shadow: bool) -> dict[str, Any]:
    """The DynamicJob for one legacy job; Unmappable when it cannot keep its behaviour."""
    if job.args:
        raise Unmappable("positional args cannot be mapped onto parameters; pass kwargs")
    if not job.coalesce:
        raise Unmappable("coalesce=false: a CronJob starts at most one run for missed times")
    schedule, zone = _schedule(job)
    spec: dict[str, Any] = {
        "template": job.template, "parameters": _parameters(job), "schedule": schedule,
        "concurrencyPolicy": "Forbid" if job.max_instances == 1 else "Allow",
        **job.spec,
    }
    if (zone or legacy.time_zone) and not schedule.startswith("@every"):
        spec["timeZone"] = zone or legacy.time_zone
    if job.misfire_grace_time is not None:
        spec["startingDeadlineSeconds"] = job.misfire_grace_time
    if job.paused:
        spec["suspend"] = True
    if shadow:
        spec["dryRun"] = True
    metadata: dict[str, Any] = {
        "name": dynamicjob_name(job.id),
        **({"namespace": legacy.namespace} if legacy.namespace else {}),
        "labels": {MIGRATION_LABEL: MIGRATION_VALUE},
        "annotations": {LEGACY_ID_ANNOTATION: job.id,
                        **({LEGACY_FUNC_ANNOTATION: job.func} if job.func else {})},
    }
    body = {"apiVersion": API_VERSION, "kind": "DynamicJob", "metadata": metadata, "spec": spec}
    problems = validate_dynamicjob(body).problems
    if problems:
        raise Unmappable("; ".join(f"{problem.field}: {problem.message}" for problem in problems))
    return body


def convert(legacy: LegacyFile, *, shadow: bool) -> Conversion:
    """Every job converted or refused (never half of one)."""
    result = Conversion()
    names: dict[str, str] = {}
    for job in legacy.jobs:
        try:
            body = manifest(job, legacy, shadow=shadow)
        except Unmappable as reason:
            result.refusals.append((job.id, str(reason)))
            continue
        name = body["metadata"]["name"]
        if name in names:
            result.refusals.append((job.id, f"makes the name {name!r}, as {names[name]!r} does"))
            continue
        names[name] = job.id
        result.manifests.append(body)
    return result
