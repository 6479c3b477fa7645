"""backup of a MongoDB database (FerretDB): the tar in mongodump's layout, restored into
another database with every document and index; FerretDB refused for snapshot reads."""

from __future__ import annotations

import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bson
import pytest

from job_runner.execute import execute
from job_runner.templates.backup import Backup
from job_runner.toolkit.mongo_backup import restore

MOMENT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def support(mongo_db) -> Any:
    mongo_db.tickets.insert_many([
        {"_id": n, "ref": f"T-{n}", "resolved_at": MOMENT, "tags": ["a", n],
         "nested": {"x": n * 1.5}, "blob": bson.Binary(bytes([n % 256]) * 3)}
        for n in range(2500)
    ])
    mongo_db.tickets.create_index("ref", unique=True, name="ref_unique")
    mongo_db.records.insert_one({"_id": bson.ObjectId(), "note": "$where: not code"})
    return mongo_db


def backup(connection: dict[str, Any], directory: Path, **overrides: Any) -> dict[str, Any]:
    return {"connection": connection, "consistency": "collection",
            "destination": {"directory": str(directory), "filename": "support-{runId}.tar.gz"},
            **overrides}


def run(params: dict[str, Any], run_id: str = "it", **kwargs: Any) -> Any:
    return execute(Backup, params, run_id=run_id, timeout_seconds=120, secrets=lambda r: "",
                   **kwargs)


def test_backup_restores_every_document_and_index(support, ferretdb_server, mongo_connection,
                                                  tmp_path: Path):
    planned = run(backup(mongo_connection, tmp_path), dry_run=True)
    assert planned.result == "Succeeded", planned.message
    assert planned.outputs["collections"] == ["records", "tickets"]
    outcome = run(backup(mongo_connection, tmp_path))
    assert outcome.result == "Succeeded", outcome.message
    assert outcome.outputs["documents"] == {"records": 1, "tickets": 2500}
    archive = tmp_path / "support-it.tar.gz"
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == [
            "dynamicjobs/records.bson", "dynamicjobs/records.metadata.json",
            "dynamicjobs/tickets.bson", "dynamicjobs/tickets.metadata.json"]
    with ferretdb_server.client() as client:
        client.drop_database("restored")
        target = client["restored"]
        assert restore(archive, target) == {"records": 1, "tickets": 2500}
        original = list(support.tickets.find({}, sort=[("_id", 1)]))
        assert list(target.tickets.find({}, sort=[("_id", 1)])) == original
        assert target.records.find_one()["note"] == "$where: not code"
        assert "ref_unique" in target.tickets.index_information()
        client.drop_database("restored")


def test_chosen_collections_only_and_unknown_ones_refused(support, mongo_connection,
                                                          tmp_path: Path):
    outcome = run(backup(mongo_connection, tmp_path, tables=["records"]))
    assert outcome.result == "Succeeded" and outcome.outputs["documents"] == {"records": 1}
    missing = run(backup(mongo_connection, tmp_path, tables=["nope"]), run_id="two")
    assert missing.result == "Failed" and "no collection 'nope'" in missing.message


def test_snapshot_consistency_is_refused_on_ferretdb(support, mongo_connection, tmp_path):
    for dry_run in (True, False):
        outcome = run(backup(mongo_connection, tmp_path, consistency="snapshot"),
                      dry_run=dry_run)
        assert outcome.result == "Failed" and "no snapshot reads" in outcome.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("overrides", [{"schemas": ["public"]}, {"format": "custom"},
                                       {"tables": ["$where"]}, {"tables": ["a\x00b"]}])
def test_options_that_do_not_fit_mongodb_are_refused(mongo_connection, tmp_path, overrides):
    outcome = run(backup(mongo_connection, tmp_path, **overrides))
    assert outcome.result == "Failed" and not outcome.attempts, outcome.message
