"""Times, durations and runs as people read them in a table (kubectl's ``5m``, ``2d``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from job_runner.api import RunRecord, parse_time

NONE = "<none>"


def age(text: str | None, now: datetime | None = None) -> str:
    """How long ago ``text`` was, kubectl style: 42s, 5m, 3h, 12d; ``<none>`` when unset."""
    moment = parse_time(text)
    if moment is None:
        return NONE
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    return span(seconds)


def span(seconds: float) -> str:
    """A length of time in its largest whole unit (or two, under ten of it): 45s, 3m20s."""
    whole = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size:
            first, rest = divmod(whole, size)
            smaller = {"d": ("h", 3600), "h": ("m", 60), "m": ("s", 1)}[unit]
            extra = rest // smaller[1]
            return f"{first}{unit}{extra}{smaller[0]}" if first < 10 and extra else f"{first}{unit}"
    return f"{whole}s"


def duration(run: RunRecord) -> str:
    started, finished = parse_time(run.started_at), parse_time(run.finished_at)
    if started is None or finished is None:
        return NONE if run.result != "Running" else "running"
    return span((finished - started).total_seconds())


def short_time(text: str | None) -> str:
    """An RFC 3339 time to the second, for columns: 2026-11-28T02:00:00Z."""
    moment = parse_time(text)
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" if moment else NONE


def outputs_text(outputs: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in outputs.items()) or NONE


def run_row(run: RunRecord, *, wide: bool) -> list[str]:
    row = [run.id, run.trigger, run.result, str(run.attempts), short_time(run.started_at),
           duration(run), run.message or ""]
    if wide:
        notified = ", ".join(f"{n.template}:{n.result}" for n in run.notifications)
        overrides = ", ".join(f"{k}={v}" for k, v in run.parameter_overrides.items())
        row += [outputs_text(run.outputs), notified or NONE, overrides or NONE]
    return row


RUN_HEADERS = ["RUN", "TRIGGER", "RESULT", "ATTEMPTS", "STARTED", "DURATION", "MESSAGE"]
RUN_WIDE_HEADERS = [*RUN_HEADERS, "OUTPUTS", "NOTIFIED", "OVERRIDES"]
