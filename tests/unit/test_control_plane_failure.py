"""A component that fails to start is named, with its log kept and quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_cluster.binaries import Binaries
from local_cluster.controlplane import ControlPlane, ControlPlaneError


def test_a_failing_component_is_reported_with_its_kept_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken-etcd"
    broken.write_text("#!/bin/sh\necho 'etcd: cannot open the data directory' >&2\nexit 3\n")
    broken.chmod(0o755)
    binaries = Binaries(etcd=broken, kube_apiserver=broken, kube_controller_manager=broken,
                        helm=broken, kubectl=broken)
    workdir = tmp_path / "plane"
    with pytest.raises(ControlPlaneError) as failed:
        ControlPlane(workdir=workdir, binaries=binaries, startup_timeout=30).start()
    message = str(failed.value)
    assert "etcd exited with 3" in message
    assert "cannot open the data directory" in message
    log = workdir / "logs" / "etcd.log"
    assert str(log) in message
    assert "cannot open the data directory" in log.read_text()
