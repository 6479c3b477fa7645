"""crds/ is generated from the models; these fail when the two drift or the schema is not
what the API server needs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from job_operator.crdgen import CRD_DIR, all_crds, main, render


def test_crds_directory_matches_the_models() -> None:
    for name, crd in all_crds().items():
        path = CRD_DIR / name
        assert path.exists(), f"{path} missing: run `python -m job_operator.crdgen`"
        assert path.read_text() == render(crd), (
            f"{path} drifted from job_runner/api: run `python -m job_operator.crdgen`"
        )


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    stale = next(tmp_path.iterdir())
    stale.write_text(stale.read_text().replace("DynamicJob", "Dynamic"))
    assert main(["--out", str(tmp_path), "--check"]) == 1


def _walk(node: object) -> list[dict]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def test_schema_is_structural() -> None:
    """No $ref, anyOf with null, additionalProperties: false, titles or propertyNames."""
    for crd in all_crds().values():
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        text = json.dumps(schema)
        assert "$ref" not in text and "propertyNames" not in text
        for node in _walk(schema):
            assert node.get("additionalProperties") is not False
            assert "title" not in node or not isinstance(node["title"], str)
            assert {"type": "null"} not in node.get("anyOf", [])


def test_dynamicjob_crd_serves_the_api_we_document() -> None:
    crd = yaml.safe_load((CRD_DIR / "dynamicjobs.io_dynamicjobs.yaml").read_text())
    version = crd["spec"]["versions"][0]
    assert crd["spec"]["names"]["shortNames"] == ["dj"]
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns == ["Template", "Schedule", "Suspended", "Suspend Reason", "Ready",
                       "Last Result", "Last Run", "Next Run", "Age"]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["parameters"]["x-kubernetes-preserve-unknown-fields"] is True
    assert "description" in spec["properties"]["schedule"]
    conditions = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"][
        "conditions"]
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
