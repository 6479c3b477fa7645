"""A real local Kubernetes control plane for tests and development (never for production)."""

from local_cluster.binaries import Binaries, ensure_binaries
from local_cluster.controlplane import ControlPlane, ControlPlaneError

__all__ = ["Binaries", "ControlPlane", "ControlPlaneError", "ensure_binaries"]
