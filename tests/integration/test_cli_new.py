"""``dynamicjobs new`` through a real pseudo-terminal against the control plane: the
README's ci-nightly made by answering the questions, each answer checked as it is typed.
The keystrokes and the time it takes are measured (docs/cli.md reports them)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client

from local_cluster.controlplane import ControlPlane
from tests.integration.test_cli_catalogue import catalogue_reader  # noqa: F401 (a fixture)
from tests.integration.test_cli_inspect import ready
from tests.integration.test_cli_move import gone
from tests.kube.dynamicjobs import DynamicJobs
from tests.kube.operator_process import OperatorProcess
from tests.kube.rbac import grant
from tests.unit.test_cli_new import CI_NIGHTLY

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """A child process on a pseudo-terminal: read what it shows, type as a person would."""

    def __init__(self, argv: list[str]) -> None:
        master, slave = pty.openpty()
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, cwd=REPO, start_new_session=True)
        os.close(slave)
        self.master = master
        self.screen = ""
        self.seen = 0
        self.keystrokes = 0
        self.mistyped = 0
        """Keystrokes of the deliberate wrong answers, counted apart."""

    def _read(self, deadline: float) -> bool:
        wait = max(0.0, deadline - time.monotonic())
        ready_fds, _, _ = select.select([self.master], [], [], wait)
        if not ready_fds:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.screen += ANSI.sub("", chunk.decode(errors="replace")).replace("\r", "")
        return True

    def expect(self, text: str, timeout: float = 30) -> str:
        """Wait until ``text`` shows after what was already matched; what came before it."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self.seen:]:
            if time.monotonic() >= deadline or not self._read(deadline):
                raise AssertionError(f"{text!r} never showed; the screen ends:\n"
                                     f"{self.screen[-3000:]}")
        at = self.screen.index(text, self.seen)
        before, self.seen = self.screen[self.seen:at], at + len(text)
        return before

    def type(self, answer: str = "", *, wrong: bool = False) -> None:
        """Type ``answer`` and Enter."""
        os.write(self.master, (answer + "\r").encode())
        if wrong:
            self.mistyped += len(answer) + 1
        else:
            self.keystrokes += len(answer) + 1

    def exit_code(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self._read(deadline) and time.monotonic() < deadline:
            pass
        code = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        os.close(self.master)
        return code


@pytest.fixture
def jobs(api_client: client.ApiClient, namespace: str,
         operator: OperatorProcess) -> DynamicJobs:
    return DynamicJobs(api_client, namespace)


def test_the_wizard_makes_ci_nightly(kubeconfig: Path, jobs: DynamicJobs,
                                     record_property: pytest.RecordProperty) -> None:
    ns = jobs.namespace
    started = time.monotonic()
    term = Terminal([sys.executable, "-m", "job_operator.cli.main", "new",
                     "--kubeconfig", str(kubeconfig), "-n", ns])
    term.expect("Name of the job: ")
    term.type("CI_Nightly", wrong=True)
    term.expect("Error: 'CI_Nightly': at most 52 lowercase letters")
    term.expect("Name of the job: ")
    term.type("ci-nightly")
    menu = term.expect("Template: ")
    assert "webhook-trigger: Sends one HTTP request" in menu
    number = re.search(r"(\d+)\) webhook-trigger:", menu)
    assert number is not None
    term.type(number.group(1))
    term.expect("Parameters of webhook-trigger:")
    term.expect("Take url from a Secret? [y/N]: ")
    term.type()
    term.expect("url: ")
    term.type("ftp://ci.example.com/api/trigger", wrong=True)
    term.expect("Error: url: ")
    term.expect("url: ")
    term.type("https://ci.example.com/api/trigger")
    term.expect("body: ")
    term.type('{"pipeline": "nightly"', wrong=True)
    term.expect("Error: not JSON")
    term.expect("body: ")
    term.type('{"pipeline": "nightly"}')
    term.expect("expectedStatus: ")
    term.type()
    term.expect("headers: name: ")
    term.type("Authorization")
    term.expect("Take headers.Authorization from a Secret? [y/N]: ")
    term.type("y")
    term.expect("headers.Authorization: Secret name: ")
    term.type("ci-token")
    term.expect("headers.Authorization: key in Secret ci-token: ")
    term.type("header")
    term.expect("headers: name: ")
    term.type()
    term.expect("method: HTTP method.")
    term.expect("method [2]: ")
    term.type()
    term.expect("timeoutSeconds [30]: ")
    term.type()
    schedules = term.expect("Schedule [2]: ")
    assert "Monday to Friday, at a time" in schedules
    weekdays = re.search(r"(\d+)\) Monday to Friday", schedules)
    assert weekdays is not None
    term.type(weekdays.group(1))
    term.expect("At (HH:MM) [02:00]: ")
    term.type()
    term.expect("Time zone (IANA) [UTC]: ")
    term.type("Europe/Nowhere", wrong=True)
    term.expect("Error: ")
    term.expect("Time zone (IANA) [UTC]: ")
    term.type("Europe/Berlin")
    shown = term.expect("Use this schedule? [Y/n]: ")
    assert "At 02:00, Monday through Friday (Europe/Berlin)" in shown
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", shown)) == 5
    term.type()
    term.expect("Timeout of one run, in seconds [3600]: ")
    term.type("120")
    term.expect("Retries after a failed attempt [0]: ")
    term.type("2")
    term.expect("Seconds before the first retry (doubling after) [30]: ")
    term.type()
    term.expect("Notify someone about runs? [y/N]: ")
    term.type()
    review = term.expect("Now [1]: ")
    assert "template: webhook-trigger" in review and "--- review ---" in review
    term.type()
    term.expect(f"created {ns}/ci-nightly")
    assert term.exit_code() == 0
    seconds = time.monotonic() - started

    stored = jobs.get("ci-nightly")
    assert stored["spec"] == {**CI_NIGHTLY["spec"], **{
        key: value for key, value in stored["spec"].items() if key not in CI_NIGHTLY["spec"]}}
    ready(jobs, "ci-nightly")
    record_property("keystrokes", term.keystrokes)
    record_property("seconds", round(seconds, 1))
    print(f"ci-nightly through the wizard: {term.keystrokes} keystrokes (and {term.mistyped} "
          f"for the wrong answers), {seconds:.1f} s driven by the test")
    assert term.keystrokes == 136  # 22 answers, 10 of them Enter alone


def test_the_webhooks_refusal_shows_in_the_wizard_and_notifications_are_asked(
        control_plane: ControlPlane, api_client: client.ApiClient, jobs: DynamicJobs,
        catalogue_reader: None,  # noqa: F811 (the fixture imported above)
) -> None:
    ns = jobs.namespace
    grant(api_client, ns, "dana", "edit-dynamicjobs", [client.V1PolicyRule(
        api_groups=["dynamicjobs.io"], resources=["dynamicjobs"],
        verbs=["get", "list", "create", "update", "patch"])])
    grant(api_client, ns, "dana", "read-slack-webhook", [client.V1PolicyRule(
        api_groups=[""], resources=["secrets"], resource_names=["slack-webhook"],
        verbs=["get"])])
    dana = control_plane.user_kubeconfig("dana")
    term = Terminal([sys.executable, "-m", "job_operator.cli.main", "new", "deploy-hook",
                     "--kubeconfig", str(dana), "-n", ns, "--template", "webhook-trigger"])

    def plain_parameters(header_from_secret: bool) -> None:
        term.expect("Take url from a Secret? [y/N]: ")
        term.type()
        term.expect("url: ")
        term.type("https://ci.example.com/deploy")
        for question in ("body: ", "expectedStatus: "):
            term.expect(question)
            term.type()
        term.expect("headers: name: ")
        if header_from_secret:
            term.type("Authorization")
            term.expect("Take headers.Authorization from a Secret? [y/N]: ")
            term.type("y")
            term.expect("headers.Authorization: Secret name: ")
            term.type("deploy-token")
            term.expect("headers.Authorization: key in Secret deploy-token: ")
            term.type("token")
            term.expect("headers: name: ")
        term.type()
        for question in ("method [2]: ", "timeoutSeconds [30]: "):
            term.expect(question)
            term.type()

    plain_parameters(header_from_secret=True)
    for question in ("Schedule [2]: ", "At (HH:MM) [02:00]: ", "Time zone (IANA) [UTC]: ",
                     "Use this schedule? [Y/n]: ", "[3600]: ", "Retries after a failed "
                     "attempt [0]: "):
        term.expect(question)
        term.type()
    term.expect("Notify someone about runs? [y/N]: ")
    term.type("y")
    term.expect("When [1]: ")
    term.type()
    how = term.expect("How [1]: ")
    slack = re.search(r"(\d+)\) Slack", how)
    assert slack is not None
    term.type(slack.group(1))
    term.expect("webhookUrl: Secret name: ")
    term.type("slack-webhook")
    term.expect("webhookUrl: key in Secret slack-webhook: ")
    term.type("url")
    for question in ("details: name: ", "message: ", "text [{job} in {namespace}: {result}]: ",
                     "timeoutSeconds [10]: ", "Another notification? [y/N]: ", "Now [1]: "):
        term.expect(question)
        term.type()
    refused = term.expect("Answer the parameters of webhook-trigger again? [Y/n]: ")
    assert "The cluster refused it:" in refused and "deploy-token" in refused
    assert "spec.parameters.headers.Authorization.secretRef" in refused
    assert gone(jobs, "deploy-hook")
    term.type()
    plain_parameters(header_from_secret=False)
    term.expect("Now [1]: ")
    term.type()
    term.expect(f"created {ns}/deploy-hook")
    assert term.exit_code() == 0

    spec = jobs.get("deploy-hook")["spec"]
    assert spec["parameters"] == {"url": "https://ci.example.com/deploy"}
    assert spec["notifications"] == {"onFailure": [{
        "template": "slack-notification",
        "parameters": {"webhookUrl": {"secretRef": {"name": "slack-webhook", "key": "url"}}}}]}
