"""The one exception type of the schedule rules."""

from __future__ import annotations

import json

SCHEDULE_FIELD = "spec.schedule"
TIME_ZONE_FIELD = "spec.timeZone"


class ScheduleError(ValueError):
    """One problem with a schedule or time zone, naming the field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"ScheduleError({self.field!r}, {self.message!r})"


def quote(text: str) -> str:
    """Quote a user's value in a message, with double quotes like kubectl's output."""
    return json.dumps(text, ensure_ascii=False)
