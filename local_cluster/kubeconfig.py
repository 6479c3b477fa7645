"""Kubeconfig files for the local control plane, credentials embedded so a file stands alone."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from local_cluster.pki import KeyPair


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(
    path: Path, *, server: str, ca_cert: Path, user: str, context: str,
    client: KeyPair | None = None, token: str | None = None,
) -> Path:
    """A kubeconfig whose user is ``client`` (a certificate) or ``token`` (a bearer token)."""
    credentials = ({"token": token} if client is None else {
        "client-certificate-data": _b64(client.cert), "client-key-data": _b64(client.key)})
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": context,
                "cluster": {"server": server, "certificate-authority-data": _b64(ca_cert)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": credentials,
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": user}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path
