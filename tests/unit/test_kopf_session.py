"""kopf's session to the API server has a bounded pool that still fits every watch."""

from __future__ import annotations

import asyncio

import kopf

from job_operator.controller.session import (
    REQUEST_CONNECTIONS,
    STREAMS_PER_NAMESPACE,
    bounded_session,
    connection_limit,
)


def test_the_pool_grows_with_the_watched_namespaces() -> None:
    whole_cluster = connection_limit(())
    assert whole_cluster == REQUEST_CONNECTIONS + STREAMS_PER_NAMESPACE
    assert connection_limit(("a",)) == whole_cluster
    assert connection_limit(("a", "b", "c")) == REQUEST_CONNECTIONS + 3 * STREAMS_PER_NAMESPACE


def test_glob_patterns_keep_kopfs_unbounded_session() -> None:
    for patterns in (("team-*",), ("a", "b?"), ("[ab]c",), ("!kube-system",)):
        assert connection_limit(patterns) is None, patterns


def test_the_session_keeps_the_credentials_and_bounds_the_connector() -> None:
    info = kopf.ConnectionInfo(server="https://127.0.0.1:6443", token="secret-token",
                               scheme="Bearer", default_namespace="ops", priority=7)

    async def make() -> tuple[kopf.AiohttpSession, int, str | None]:
        context = bounded_session(info, 20)
        session = context.aiohttp_session
        assert session.connector is not None
        try:
            return context, session.connector.limit, session.headers.get("Authorization")
        finally:
            await session.close()

    context, limit, authorization = asyncio.run(make())
    assert limit == 20
    assert authorization == "Bearer secret-token"
    assert (context.server, context.default_namespace, context.priority) == (
        "https://127.0.0.1:6443", "ops", 7)
