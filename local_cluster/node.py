"""The node the local pod executor plays, as the API server sees it.

The EndpointSlice controller publishes a pod only when the Node it is bound to exists, and
refuses loopback addresses; the API server then resolves a webhook's Service through those
EndpointSlices (``--enable-aggregator-routing``), since there is no kube-proxy. Containers
share the host's network, so a pod's address is the host's own, as for a hostNetwork pod.
"""

from __future__ import annotations

import socket

from kubernetes import client
from kubernetes.client.exceptions import ApiException

_UNROUTED_PROBE = ("203.0.113.1", 9)
"""A documentation address (RFC 5737): connecting a UDP socket to it sends nothing, but makes
the kernel choose the source address of the default route."""


def host_address() -> str:
    """The host's IPv4 address on its default route."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_UNROUTED_PROBE)
            address: str = probe.getsockname()[0]
    except OSError as error:
        raise RuntimeError(
            f"containers need a non-loopback IPv4 address for their pods ({error}): "
            "the host has no default route") from error
    return address


def register_node(core: client.CoreV1Api, name: str, address: str) -> None:
    """Create the Node if it is missing and report it Ready at ``address``."""
    node = client.V1Node(metadata=client.V1ObjectMeta(
        name=name, labels={"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}))
    try:
        core.create_node(node)
    except ApiException as error:
        if error.status != 409:
            raise
    core.patch_node_status(name, {"status": {
        "addresses": [{"type": "InternalIP", "address": address},
                      {"type": "Hostname", "address": name}],
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "the local pod executor is running"}]}})
