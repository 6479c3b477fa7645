"""Runner pods as real containers (podman): needs root, podman and runc, and the image
`./dev image` builds. Not in `./dev test`'s default paths; `.ci/image.sh` runs this tier and
the e2e tier with `DYNAMICJOBS_POD_RUNTIME=podman` (docs/image.md)."""

from tests.kube.fixtures import *  # noqa: F403
