"""A schedule in words, e.g. "At 03:00 AM, every day (Europe/Berlin)"."""

from __future__ import annotations

import re

from cron_descriptor import ExpressionDescriptor, Options

from job_operator.schedule.duration import format_go_duration
from job_operator.schedule.parse import FIELDS, CronSpec, EverySpec, FieldBounds, Spec

# Syntax that means the same to cron-descriptor as to robfig; anything else (robfig
# quirks such as "+5", "*-3" or empty list items) is described from the selected set.
_PLAIN_ITEM = re.compile(r"(\*|[0-9]+|[A-Za-z]{3})(-([0-9]+|[A-Za-z]{3}))?(/[0-9]+)?", re.ASCII)


def describe(spec: Spec, time_zone: str | None) -> str:
    zone = time_zone if time_zone is not None else "UTC"
    return f"{_describe_spec(spec)} ({zone})"


def _describe_spec(spec: Spec) -> str:
    if isinstance(spec, EverySpec):
        return (f"Every {format_go_duration(spec.seconds * 1_000_000_000)}, counted from the "
                "CronJob's creation or last scheduled time")
    fields = [_canonical_field(text, spec, bounds)
              for text, bounds in zip(spec.source_fields, FIELDS, strict=True)]
    options = Options()
    options.verbose = False
    options.use_24hour_time_format = True
    try:
        text = ExpressionDescriptor(" ".join(fields), options).get_description()
    except Exception:  # a description is a courtesy; never fail validation over it
        return f"At cron schedule {' '.join(fields)}"
    if fields[1] != "*" and fields[2:] == ["*", "*", "*"] and text.startswith("At "):
        text += ", every day"
    return text


def _canonical_field(text: str, spec: CronSpec, bounds: FieldBounds) -> str:
    values, star = _selection(spec, bounds.position)
    if star or (bounds.position in (1, 2, 4) and len(values) == _size(bounds)):
        return "*"
    if not values:
        return text
    items = text.split(",")
    if all(_PLAIN_ITEM.fullmatch(item) and not item.startswith("*-") for item in items):
        return text
    return _as_ranges(sorted(values))


def _size(bounds: FieldBounds) -> int:
    return bounds.maximum - bounds.minimum + 1


def _selection(spec: CronSpec, position: int) -> tuple[frozenset[int], bool]:
    return {
        1: (spec.minutes, False),
        2: (spec.hours, False),
        3: (spec.days_of_month, spec.dom_star),
        4: (spec.months, False),
        5: (spec.days_of_week, spec.dow_star),
    }[position]


def _as_ranges(values: list[int]) -> str:
    ranges: list[str] = []
    start = previous = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    return ",".join(ranges)
