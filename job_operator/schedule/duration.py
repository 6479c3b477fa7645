"""Go's ``time.ParseDuration``, which robfig/cron uses for ``@every <duration>``."""

from __future__ import annotations

_UNIT_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_LIMIT = 1 << 63
_DIGITS = "0123456789"


class DurationError(ValueError):
    """The text is not a Go duration."""


def parse_go_duration(text: str) -> int:
    """Return the duration in nanoseconds, accepting exactly what Go accepts."""
    rest = text
    negative = False
    if rest and rest[0] in "+-":
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise DurationError(f"invalid duration {text}")
    total = 0
    while rest:
        if rest[0] != "." and rest[0] not in _DIGITS:
            raise DurationError(f"invalid duration {text}")
        whole, rest, has_whole = _leading_int(rest, text)
        fraction, scale, has_fraction = 0, 1.0, False
        if rest.startswith("."):
            fraction, scale, rest, has_fraction = _leading_fraction(rest[1:])
        if not has_whole and not has_fraction:
            raise DurationError(f"invalid duration {text}")
        unit_end = 0
        while unit_end < len(rest) and rest[unit_end] != "." and rest[unit_end] not in _DIGITS:
            unit_end += 1
        unit, rest = rest[:unit_end], rest[unit_end:]
        if not unit:
            raise DurationError(f"missing unit in duration {text}")
        if unit not in _UNIT_NANOSECONDS:
            raise DurationError(f"unknown unit '{unit}' in duration {text}")
        per_unit = _UNIT_NANOSECONDS[unit]
        if whole > _LIMIT // per_unit:
            raise DurationError(f"invalid duration {text}")
        value = whole * per_unit
        if fraction > 0:
            value += int(float(fraction) * (float(per_unit) / scale))
            if value > _LIMIT:
                raise DurationError(f"invalid duration {text}")
        total += value
        if total > _LIMIT:
            raise DurationError(f"invalid duration {text}")
    if negative:
        return -total
    if total > _LIMIT - 1:
        raise DurationError(f"invalid duration {text}")
    return total


def _leading_int(text: str, original: str) -> tuple[int, str, bool]:
    end = 0
    value = 0
    while end < len(text) and text[end] in _DIGITS:
        if value > _LIMIT // 10:
            raise DurationError(f"invalid duration {original!r}")
        value = value * 10 + int(text[end])
        if value > _LIMIT:
            raise DurationError(f"invalid duration {original!r}")
        end += 1
    return value, text[end:], end > 0


def _leading_fraction(text: str) -> tuple[int, float, str, bool]:
    """Digits after the point; like Go, stop gaining precision instead of overflowing."""
    end = 0
    value, scale, overflowed = 0, 1.0, False
    while end < len(text) and text[end] in _DIGITS:
        if not overflowed:
            if value > (_LIMIT - 1) // 10:
                overflowed = True
            else:
                candidate = value * 10 + int(text[end])
                if candidate > _LIMIT:
                    overflowed = True
                else:
                    value = candidate
                    scale *= 10
        end += 1
    return value, scale, text[end:], end > 0


def format_go_duration(nanoseconds: int) -> str:
    """A whole-second duration as Go prints it, e.g. ``1h30m0s``."""
    seconds = nanoseconds // 1_000_000_000
    hours, remainder = divmod(seconds, 3600)
    minutes, secs = divmod(remainder, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
