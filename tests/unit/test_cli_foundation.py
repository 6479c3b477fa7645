"""The CLI's kubectl conventions: version, completion, plugin name, exit codes, targets."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from job_operator.cli import exits
from job_operator.cli.main import PLUGIN_PROG, cli, kubectl_complete, main
from job_operator.cli.output import table
from job_operator.cli.target import Target

REPO = Path(__file__).resolve().parents[2]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert re.fullmatch(r"dynamicjobs \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F"), ("zsh", "#compdef dynamicjobs"),
    ("fish", "complete --no-files --command dynamicjobs")])
def test_completion_scripts(capsys: pytest.CaptureFixture[str], shell: str,
                            marker: str) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert marker in script
    assert "_DYNAMICJOBS_COMPLETE" in script


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["completion", "powershell"])
    assert exited.value.code == exits.USAGE
    assert "'bash', 'zsh', 'fish'" in capsys.readouterr().err


def test_the_kubectl_plugin_names_itself_as_kubectl_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"], prog=PLUGIN_PROG)
    assert capsys.readouterr().out.startswith("Usage: kubectl dynamicjobs [OPTIONS] COMMAND")


def test_the_plugin_and_the_command_are_both_installed() -> None:
    text = (REPO / "pyproject.toml").read_text()
    assert 'dynamicjobs = "job_operator.cli.main:main"' in text
    assert 'kubectl-dynamicjobs = "job_operator.cli.main:kubectl_plugin"' in text
    assert 'kubectl_complete-dynamicjobs = "job_operator.cli.main:kubectl_complete"' in text


def test_every_exit_code_is_documented() -> None:
    docs = (REPO / "docs" / "cli.md").read_text()
    for code, meaning in exits.TABLE:
        assert f"| {code} | {meaning} |" in docs


def test_a_missing_kubeconfig_names_the_fix(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    code = main(["run", "nightly", "--kubeconfig", str(tmp_path / "none")])
    assert code == exits.CLUSTER
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--kubeconfig" in err and err.count("\n") == 1


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts:
- {name: team-a, context: {cluster: c, user: u, namespace: team-a}}
- {name: plain, context: {cluster: c, user: u}}
current-context: team-a
"""


def test_an_unknown_context_names_the_listing_command(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(KUBECONFIG)
    code = main(["run", "nightly", "--kubeconfig", str(config), "--context", "nope"])
    assert code == exits.CLUSTER
    assert "kubectl config get-contexts" in capsys.readouterr().err


def test_the_namespace_comes_from_the_flag_then_the_context_then_default(
        tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(KUBECONFIG)
    assert Target(str(config)).resolved_namespace() == "team-a"
    assert Target(str(config), context="plain").resolved_namespace() == "default"
    assert Target(str(config), namespace="ops").resolved_namespace() == "ops"
    assert Target(str(config), all_namespaces=True).list_namespace() is None


def test_a_table_is_cut_to_the_terminal_widest_column_first() -> None:
    rows = [["nightly", "x" * 80, "Succeeded"]]
    text = table(["NAME", "DESCRIPTION", "RESULT"], rows, width=40)
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[1].startswith("nightly   ") and lines[1].endswith("…   Succeeded")


def test_a_table_that_fits_is_left_alone() -> None:
    assert table(["A", "B"], [["1", "22"]], width=80) == "A   B\n1   22\n"


def test_kubectl_plugin_completion_answers_as_cobra_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert kubectl_complete(["li"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "list\tList DynamicJobs: schedule in words,...", ":4"]
    kubectl_complete(["list", "-o", ""])
    assert capsys.readouterr().out.splitlines() == ["table", "wide", "json", "yaml", ":4"]
    kubectl_complete(["validate", ""])
    assert capsys.readouterr().out.splitlines()[-1] == ":0"  # the shell completes file names


def test_names_complete_from_the_namespace_on_the_command_line() -> None:
    from job_operator.cli.name_completion import dynamicjob_names
    from job_operator.cli.options import App
    from tests.unit.test_cli_inspect import FakeCluster, job

    fake = FakeCluster(job("nightly"), job("nightly-eu"), job("beat"), job("other", "team-b"))
    seen: list[Target] = []

    def connect(target: Target) -> FakeCluster:
        seen.append(target)
        return fake

    context = click.Context(cli, obj=App(connect=connect))  # type: ignore[arg-type]
    context.params = {"namespace": "team-a"}
    items = dynamicjob_names(context, click.Argument(["name"]), "nig")
    assert [(i.value, i.help) for i in items] == [("nightly", "heartbeat"),
                                                 ("nightly-eu", "heartbeat")]
    assert seen[0].namespace == "team-a"


def test_a_failing_completion_completes_nothing() -> None:
    from job_operator.cli.name_completion import dynamicjob_names
    from job_operator.cli.options import App

    def unreachable(target: Target) -> object:
        raise exits.CliError("cannot reach the API server", exits.CLUSTER)

    context = click.Context(cli, obj=App(connect=unreachable))  # type: ignore[arg-type]
    assert dynamicjob_names(context, click.Argument(["name"]), "") == []


def test_a_cluster_without_the_api_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from job_operator.cli.cluster import Cluster

    def not_found(*args: object, **kwargs: object) -> None:
        raise exits.CliError("listing DynamicJobs in team-a not found", exits.NOT_FOUND)

    monkeypatch.setattr(Cluster, "request", not_found)
    cluster = Cluster(api_client=None)  # type: ignore[arg-type]
    for call in (lambda: cluster.list_dynamicjobs("team-a"), cluster.templates):
        with pytest.raises(exits.CliError) as raised:
            call()
        assert raised.value.code == exits.NOT_FOUND
        assert raised.value.message.startswith(
            "this cluster does not serve the dynamicjobs.io API (no DynamicJob CRD): install "
            "the chart, or `kubectl apply --server-side -f crds/`")
