"""A MongoDB backup through pymongo, in mongodump's directory layout inside one tar file.

Why not mongodump: the runner image would need the MongoDB Database Tools beside pymongo,
and mongodump's only cross-collection consistency (`--oplog`) needs a replica set anyway.
Here every collection is read inside one snapshot session (`snapshot` consistency: one
point in time for the whole database, MongoDB 5.0+ on a replica set or sharded cluster),
or collection by collection where no snapshot exists (a standalone server, FerretDB).

The tar holds ``<database>/<collection>.bson`` (the documents as concatenated BSON, as
mongodump writes them) and ``<collection>.metadata.json`` (its indexes), so after
``tar -xf`` `mongorestore --dir` reads it; `restore` here does the same.
"""

from __future__ import annotations

import contextlib
import gzip
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from job_runner.template import RunContext, TemplateError
from job_runner.toolkit import mongo_query
from job_runner.toolkit.lazy import lazy_module
from job_runner.toolkit.mongo import Document, mongo_errors

if TYPE_CHECKING:
    import bson
    from bson import json_util
    from pymongo.client_session import ClientSession
    from pymongo.database import Database
else:
    bson = lazy_module("bson")
    json_util = lazy_module("bson.json_util")

_RESTORE_BATCH = 1000


def require_snapshots(db: Database[Document]) -> None:
    """Snapshot reads need a replica set member or a mongos; say so instead of failing on
    the first read (or, on FerretDB, silently reading without a snapshot)."""
    hello = db.client.admin.command("hello")
    if "ferretdbVersion" in db.command("buildInfo"):
        raise TemplateError("consistency: this server is FerretDB, which has no snapshot "
                            "reads: set consistency: collection")
    if "setName" not in hello and hello.get("msg") != "isdbgrid":
        raise TemplateError("consistency: snapshot reads need a replica set or sharded "
                            "cluster and this server is standalone: set consistency: "
                            "collection (each collection read on its own)")


def collections_to_dump(db: Database[Document], chosen: list[str]) -> list[str]:
    """The collections named (each checked, each must exist), default every ordinary one."""
    existing = sorted(name for name in db.list_collection_names()
                      if not name.startswith("system."))
    if not chosen:
        return existing
    for index, name in enumerate(chosen):
        mongo_query.collection_name(name, f"tables[{index}]")
    missing = sorted(set(chosen) - set(existing))
    if missing:
        raise TemplateError(f"tables: no collection {', '.join(map(repr, missing))} in "
                            f"database {db.name!r}")
    return list(chosen)


@contextlib.contextmanager
def _session(db: Database[Document], snapshot: bool) -> Iterator[ClientSession | None]:
    if not snapshot:
        yield None
        return
    with db.client.start_session(snapshot=True) as session:
        yield session


def _dump_collection(db: Database[Document], name: str, session: ClientSession | None,
                     scratch: Path, ctx: RunContext) -> tuple[Path, bytes, int]:
    documents = 0
    path = scratch / f"{name}.bson"
    with open(path, "wb") as out, mongo_errors(f"reading collection {name}"):
        for document in db[name].find({}, session=session, batch_size=1000):
            out.write(bson.encode(document))
            documents += 1
            if documents % 1000 == 0:
                ctx.check_cancelled()
        indexes = [dict(index) for index in db[name].list_indexes()]
    metadata = json_util.dumps({"indexes": indexes, "collectionName": name, "type": "collection"},
                               json_options=json_util.CANONICAL_JSON_OPTIONS)
    return path, metadata.encode(), documents


def _add(archive: tarfile.TarFile, name: str, path: Path | None, data: bytes = b"") -> None:
    info = tarfile.TarInfo(name)
    info.mode = 0o600
    if path is not None:
        info.size = path.stat().st_size
        with open(path, "rb") as source:
            archive.addfile(info, source)
        return
    info.size = len(data)
    archive.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset:end], min(end, len(self.data))
        return chunk


def dump(db: Database[Document], chosen: list[str], sink: IO[bytes] | gzip.GzipFile, *,
         snapshot: bool,
         ctx: RunContext) -> dict[str, int]:
    """Write the tar of ``db`` into ``sink``; documents per collection."""
    if snapshot:
        require_snapshots(db)
    names = collections_to_dump(db, chosen)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="dj-mongo-backup-") as scratch, \
            _session(db, snapshot) as session, \
            tarfile.open(fileobj=sink, mode="w|") as archive:
        for name in names:
            ctx.check_cancelled()
            path, metadata, counts[name] = _dump_collection(db, name, session, Path(scratch),
                                                            ctx)
            _add(archive, f"{db.name}/{name}.bson", path)
            _add(archive, f"{db.name}/{name}.metadata.json", None, metadata)
            path.unlink()
    return counts


def restore(archive_path: Path, db: Database[Document], *, drop: bool = True) -> dict[str, int]:
    """Load a backup made by `dump` into ``db`` (any name): each collection dropped first
    when ``drop``, its documents inserted, its indexes created; documents per collection."""
    counts: dict[str, int] = {}
    with tarfile.open(archive_path, mode="r:*") as archive:
        for member in archive:
            file = archive.extractfile(member)
            if file is None or not member.name.endswith((".bson", ".metadata.json")):
                continue
            collection = member.name.split("/", 1)[-1].removesuffix(".bson").removesuffix(
                ".metadata.json")
            mongo_query.collection_name(collection, f"archive member {member.name!r}")
            if member.name.endswith(".bson"):
                counts[collection] = _restore_documents(db, collection, file, drop=drop)
            else:
                _restore_indexes(db, collection, json_util.loads(file.read()))
    return counts


def _restore_documents(db: Database[Document], name: str, file: IO[bytes], *,
                       drop: bool) -> int:
    if drop:
        db.drop_collection(name)
    batch: list[Any] = []
    count = 0
    for document in bson.decode_file_iter(file):
        batch.append(document)
        if len(batch) == _RESTORE_BATCH:
            db[name].insert_many(batch)
            count, batch = count + len(batch), []
    if batch:
        db[name].insert_many(batch)
        count += len(batch)
    return count


def _restore_indexes(db: Database[Document], name: str, metadata: dict[str, Any]) -> None:
    for index in metadata.get("indexes", []):
        if index.get("name") == "_id_":
            continue
        options = {key: value for key, value in index.items() if key not in ("key", "v", "ns")}
        db[name].create_index(list(index["key"].items()), **options)
