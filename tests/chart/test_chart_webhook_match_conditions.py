"""The chart's webhook sends the API server's reviews under the same conditions as the
local registration: both come from job_operator.admission.webhook.MATCH_CONDITIONS."""

from __future__ import annotations

from job_operator.admission.webhook import MATCH_CONDITIONS
from tests.chart.test_helm_chart import Render, helm, only, render  # noqa: F401


def test_the_chart_webhook_has_the_operators_match_conditions(render: Render) -> None:  # noqa: F811
    configuration = only(render(), "ValidatingWebhookConfiguration")
    assert [webhook["matchConditions"] for webhook in configuration["webhooks"]] == [
        MATCH_CONDITIONS]
