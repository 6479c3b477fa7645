from __future__ import annotations

import re

import pytest

from job_runner.secrets import env_secret_resolver, find_secret_refs, secret_env_name
from job_runner.template import SecretRef, TemplateError


def ref(name: str, key: str) -> SecretRef:
    return SecretRef.model_validate({"secretRef": {"name": name, "key": key}})


def test_env_names_are_valid_deterministic_and_distinct():
    names = {
        secret_env_name(ref("a-b", "k")), secret_env_name(ref("a.b", "k")),
        secret_env_name(ref("a-b", "K")), secret_env_name(ref("ab", "k")),
    }
    assert len(names) == 4
    assert secret_env_name(ref("a-b", "k")) == secret_env_name(ref("a-b", "k"))
    for name in names:
        assert re.fullmatch(r"DJ_SECRET_[A-Z0-9_]+_[0-9A-F]{6}", name)


def test_env_names_stay_short():
    long = ref("a" * 253, "k" * 253)
    name = secret_env_name(long)
    assert len(name) <= 100 and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name)
    assert name != secret_env_name(ref("a" * 253, "k" * 252))


def test_find_secret_refs_walks_values_with_paths():
    params = {
        "connection": {"password": {"secretRef": {"name": "db", "key": "pw"}}},
        "headers": [{"x": {"secretRef": {"name": "t", "key": "tok"}}}],
        "notARef": {"secretRef": {"name": "BAD NAME", "key": "k"}},
        "plain": "secretRef",
    }
    found = find_secret_refs(params)
    assert [(path, r.secret_ref.name) for path, r in found] == [
        ("parameters.connection.password", "db"),
        ("parameters.headers[0].x", "t"),
    ]


def test_env_resolver_reads_and_explains_missing():
    resolve = env_secret_resolver({secret_env_name(ref("db", "pw")): "hunter2"})
    assert resolve(ref("db", "pw")) == "hunter2"
    with pytest.raises(TemplateError, match=r"'db'.*'other'.*DJ_SECRET_DB_OTHER_"):
        resolve(ref("db", "other"))
