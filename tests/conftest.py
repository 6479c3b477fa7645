"""What every tier shares: the unit tier's guard against real API calls.

A unit test that reaches the Kubernetes API by accident would pass on a developer's
machine with a cluster configured and fail (or hang) elsewhere, and it would not be a unit
test. So in tests/unit both API clients the code uses, the kubernetes client's REST layer
and kopf's own, refuse every request, and loading a kubeconfig or in-cluster config fails,
each with a message that names the test tier. Fakes (tests/unit/fakes.py) replace the
client above that layer, so they are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

UNIT_TIER = Path(__file__).parent / "unit"


class RealApiCallInUnitTest(AssertionError):
    """A unit test tried to talk to a real Kubernetes API server."""


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise RealApiCallInUnitTest(
            f"{what} from a unit test: use a fake (tests/unit/fakes.py), or move the test "
            "to tests/integration, which has a real control plane")

    return refuse


@pytest.fixture(autouse=True)
def _no_real_api_calls_in_unit_tests(request: pytest.FixtureRequest,
                                     monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if UNIT_TIER not in Path(str(request.node.path)).parents:
        yield
        return
    from kopf._cogs.clients import api as kopf_api
    from kubernetes import config
    from kubernetes.client import rest

    monkeypatch.setattr(rest.RESTClientObject, "request",
                        _refuse("a Kubernetes API request (kubernetes client)"))
    monkeypatch.setattr(kopf_api, "request", _refuse("a Kubernetes API request (kopf)"))
    monkeypatch.setattr(config, "load_kube_config", _refuse("loading a kubeconfig"))
    monkeypatch.setattr(config, "load_incluster_config", _refuse("loading in-cluster config"))
    yield
