"""Parse a schedule exactly as Kubernetes does: robfig/cron v3 ``ParseStandard`` plus the
API server's own rule against ``TZ=``/``CRON_TZ=``.

The result is a normalised, structured schedule. Errors are collected for every field,
where robfig stops at the first; the verdict (accepted or not) is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from job_operator.schedule import golang
from job_operator.schedule.duration import DurationError, parse_go_duration
from job_operator.schedule.errors import SCHEDULE_FIELD, ScheduleError, quote

_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DOW_NAMES = {
    name: number
    for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}
_NANOSECONDS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class FieldBounds:
    position: int
    label: str
    minimum: int
    maximum: int
    names: dict[str, int] | None = None


FIELDS = (
    FieldBounds(1, "minute", 0, 59),
    FieldBounds(2, "hour", 0, 23),
    FieldBounds(3, "day of month", 1, 31),
    FieldBounds(4, "month", 1, 12, _MONTH_NAMES),
    FieldBounds(5, "day of week", 0, 6, _DOW_NAMES),
)


@dataclass(frozen=True)
class CronSpec:
    """A 5-field schedule as the sets of values it selects.

    ``dom_star``/``dow_star`` carry robfig's star bit: when neither is set (both fields
    restricted), a day matches if *either* the day of month or the day of week matches.
    """

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_star: bool
    dow_star: bool
    source_fields: tuple[str, ...]


@dataclass(frozen=True)
class EverySpec:
    """``@every <duration>``: a constant delay, in whole seconds (at least one)."""

    seconds: int
    duration_text: str
    requested_nanoseconds: int


Spec = CronSpec | EverySpec

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_EVERY_PREFIX = "@every "
_FIX_FIELDS = "use 5 fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\""


def schedule_problems(expression: str) -> list[ScheduleError]:
    """Every reason the API server would reject this ``spec.schedule``; empty if none."""
    try:
        parse_spec(expression)
    except ScheduleProblems as problems:
        return problems.errors
    return []


def parse_spec(expression: str) -> Spec:
    """The structured schedule; raises ``ScheduleProblems`` (a ScheduleError) listing all
    problems."""
    if expression == "":
        raise ScheduleProblems(
            [_error(f"must not be empty; {_FIX_FIELDS} or a descriptor like @daily")])
    errors: list[ScheduleError] = []
    remainder = expression
    if "TZ" in expression:
        errors.append(
            _error(
                f"{quote(expression)} contains \"TZ\": TZ= and CRON_TZ= are not allowed in the "
                "schedule; set the zone in spec.timeZone instead"
            )
        )
        if expression.startswith(("TZ=", "CRON_TZ=")):
            _, _, remainder = expression.partition(" ")
            remainder = remainder.strip()
        else:
            remainder = ""
    if remainder:
        try:
            spec = _parse_without_zone(remainder)
        except ScheduleProblems as problems:
            errors.extend(problems.errors)
        else:
            if not errors:
                return spec
    raise ScheduleProblems(errors)


class ScheduleProblems(ScheduleError):
    """All problems of one schedule; behaves as its first one."""

    def __init__(self, errors: list[ScheduleError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.errors = errors


def _error(message: str) -> ScheduleError:
    return ScheduleError(SCHEDULE_FIELD, message)


def _parse_without_zone(spec: str) -> Spec:
    if spec.startswith("@"):
        return _parse_descriptor(spec)
    parts = golang.fields(spec)
    if len(parts) != len(FIELDS):
        hint = "; Kubernetes has no seconds field" if len(parts) == 6 else ""
        found = f"found {len(parts)} in {quote(spec)}"
        raise ScheduleProblems([_error(f"expected exactly 5 fields, {found}{hint}; {_FIX_FIELDS}")])
    return _spec_from_fields(tuple(parts))


def _spec_from_fields(parts: tuple[str, ...]) -> CronSpec:
    errors: list[ScheduleError] = []
    selected: list[tuple[frozenset[int], bool]] = []
    for text, bounds in zip(parts, FIELDS, strict=True):
        values, star, problems = _parse_field(text, bounds)
        errors.extend(problems)
        selected.append((values, star))
    if errors:
        raise ScheduleProblems(errors)
    (minutes, _), (hours, _), (dom, dom_star), (months, _), (dow, dow_star) = selected
    return CronSpec(minutes, hours, dom, months, dow, dom_star, dow_star, parts)


def _parse_field(
    text: str, bounds: FieldBounds
) -> tuple[frozenset[int], bool, list[ScheduleError]]:
    """A comma list of ranges; empty list items are skipped, as robfig's FieldsFunc does."""
    values: set[int] = set()
    star = False
    problems: list[ScheduleError] = []
    for item in (part for part in text.split(",") if part):
        try:
            item_values, item_star = _parse_range(item, bounds)
        except ValueError as problem:
            label = f"field {bounds.position} ({bounds.label}) {quote(item)}"
            problems.append(_error(f"{label}: {problem}"))
            continue
        values |= item_values
        star = star or item_star
    return frozenset(values), star, problems


def _parse_range(item: str, bounds: FieldBounds) -> tuple[set[int], bool]:
    """One ``a``, ``a-b``, ``*``/``?``, each optionally with ``/step``.

    Like robfig: ``a/step`` means ``a-max/step``; anything after ``*-`` is ignored;
    a step above 1 drops the star bit, so ``*/2`` counts as a restricted field.
    """
    range_and_step = item.split("/")
    if len(range_and_step) > 2:
        raise ValueError("too many slashes; use at most one /step")
    low_and_high = range_and_step[0].split("-")
    star = low_and_high[0] in ("*", "?")
    if star:
        start, end = bounds.minimum, bounds.maximum
    else:
        if len(low_and_high) > 2:
            raise ValueError("too many hyphens; a range is start-end")
        start = _value(low_and_high[0], bounds)
        end = _value(low_and_high[1], bounds) if len(low_and_high) == 2 else start
    step = 1
    if len(range_and_step) == 2:
        parsed_step = golang.atoi(range_and_step[1])
        if parsed_step is None or parsed_step < 0:
            raise ValueError(f"step {quote(range_and_step[1])} is not a non-negative whole number")
        step = parsed_step
        if len(low_and_high) == 1:
            end = bounds.maximum
        if step > 1:
            star = False
    if start < bounds.minimum:
        raise ValueError(f"below minimum {bounds.minimum}{_sunday_hint(bounds, start)}")
    if end > bounds.maximum:
        raise ValueError(f"above maximum {bounds.maximum}{_sunday_hint(bounds, end)}")
    if start > end:
        raise ValueError(
            f"range start {start} is after its end {end}; ranges do not wrap around, "
            f"write {end}-{start} or a list"
        )
    if step == 0:
        raise ValueError("step must be a positive number")
    return set(range(start, end + 1, step)), star


def _value(text: str, bounds: FieldBounds) -> int:
    if bounds.names is not None:
        named = bounds.names.get(golang.to_lower(text))
        if named is not None:
            return named
    number = golang.atoi(text)
    if number is None:
        raise ValueError(_not_a_number(text, bounds))
    if number < 0:
        raise ValueError("negative numbers are not allowed")
    return number


def _not_a_number(text: str, bounds: FieldBounds) -> str:
    expected = "a number"
    if bounds.names is not None:
        expected += f" or a name ({'/'.join(name.upper() for name in bounds.names)})"
    if any(marker in text.upper() for marker in ("L", "W", "#")):
        return f"not {expected}; L, W and # are not supported by Kubernetes CronJobs"
    return f"not {expected}"


def _sunday_hint(bounds: FieldBounds, value: int) -> str:
    if bounds.names is _DOW_NAMES and value == 7:
        return "; use 0 or SUN for Sunday (7 is rejected by Kubernetes)"
    return ""


def _parse_descriptor(spec: str) -> Spec:
    standard = DESCRIPTORS.get(spec)
    if standard is not None:
        return _spec_from_fields(tuple(standard.split()))
    if spec.startswith(_EVERY_PREFIX):
        duration_text = spec[len(_EVERY_PREFIX) :]
        try:
            nanoseconds = parse_go_duration(duration_text)
        except DurationError as problem:
            raise ScheduleProblems(
                [_error(f"{quote(spec)}: {problem}; write a Go duration such as 1h30m or 90s")]
            ) from None
        whole_seconds = max(nanoseconds, _NANOSECONDS_PER_SECOND) // _NANOSECONDS_PER_SECOND
        return EverySpec(whole_seconds, duration_text, nanoseconds)
    known = ", ".join([*DESCRIPTORS, "@every <duration>"])
    raise ScheduleProblems(
        [_error(f"unknown descriptor {quote(spec)}; use one of {known} (lowercase)")])
