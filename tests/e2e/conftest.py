"""End-to-end fixtures: the control plane, the operator and the local pod executor."""

from tests.backends.fixtures import *  # noqa: F403
from tests.kube.fixtures import *  # noqa: F403
