"""Who hears about runs: email, Slack or a webhook, after a failure, a success or a missed
run; each notifier's parameters asked from its template's schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from job_operator.cli.wizard.ask import Asker
from job_operator.cli.wizard.parameters import ParameterQuestions
from job_runner.api.dynamicjob import NOTIFIER_KINDS

WHEN = [("onFailure", "after a run fails or times out"), ("onSuccess", "after a run succeeds"),
        ("onMissedRun", "when a scheduled run did not start")]
HOW = [("email-notification", "email"), ("slack-notification", "Slack"),
       ("webhook-trigger", "a webhook (the run as JSON)")]
MAX_NOTIFIERS = 15


def ask_notifications(asker: Asker, schemas: Mapping[str, Mapping[str, Any]],
                      ) -> dict[str, list[dict[str, Any]]]:
    """The spec's notifications block; ``schemas``: template name -> parameter schema (the
    catalogue's), so only installed notifiers are offered."""
    found: dict[str, list[dict[str, Any]]] = {}
    offered = [(name, label) for name, label in HOW if name in schemas]
    questions = ParameterQuestions(asker)
    count = 0
    question = "Notify someone about runs?"
    while offered and count < MAX_NOTIFIERS and asker.confirm(question, default=False):
        when = asker.choice("When", WHEN, flag="--notifications", default=0)
        how = asker.choice("How", offered, flag="--notifications", default=0)
        asker.say(f"Parameters of {how} (as a notifier, the run's job, result and message "
                  "are filled in: placeholders {job}, {result}, {message}, ...):")
        parameters = questions.ask_object(schemas[how], {}, "")
        found.setdefault(when, []).append({"template": how, "parameters": parameters})
        count += 1
        question = "Another notification?"
    return {kind: found[kind] for kind in NOTIFIER_KINDS if kind in found}
