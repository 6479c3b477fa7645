"""Integration-tier fixtures.

Real backends for the templates come from `tests.backends.fixtures`. They are imported
here rather than named in `pytest_plugins`, which pytest only accepts in the top-level
conftest.
"""

from tests.backends.fixtures import *  # noqa: F403
from tests.kube.fixtures import *  # noqa: F403
