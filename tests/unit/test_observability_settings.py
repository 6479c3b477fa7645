"""The observability settings the chart passes as environment: the metrics port and the
log format, refused when wrong rather than ignored."""

from __future__ import annotations

import pytest

from job_operator.settings import Settings


def test_metrics_are_served_only_when_a_port_is_given() -> None:
    assert Settings.from_env({}).metrics_port is None
    chosen = Settings.from_env({"DYNAMICJOBS_METRICS_PORT": "8000",
                                "DYNAMICJOBS_METRICS_ADDRESS": "127.0.0.1"})
    assert (chosen.metrics_port, chosen.metrics_address) == (8000, "127.0.0.1")


def test_the_log_format_is_text_or_json() -> None:
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"DYNAMICJOBS_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ValueError, match="DYNAMICJOBS_LOG_FORMAT must be one of text, json"):
        Settings.from_env({"DYNAMICJOBS_LOG_FORMAT": "xml"})
