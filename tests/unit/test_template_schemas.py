"""Every installed template: schema well-formed, examples valid, secret refs recognisable."""

from __future__ import annotations

import json

import jsonschema
import pytest

from job_runner.registry import installed_templates, validate_parameters
from job_runner.template import SECRET_REF_MARKER, SecretRef

TEMPLATES = sorted(installed_templates().items())


@pytest.mark.parametrize(("name", "template"), TEMPLATES)
def test_schema_is_draft_2020_12_without_refs(name, template):
    schema = template.parameters_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(("name", "template"), TEMPLATES)
def test_metadata_and_examples(name, template):
    assert template.version.count(".") == 2
    assert template.description
    assert template.examples
    for example in template.examples:
        assert validate_parameters(template, example) == []


@pytest.mark.parametrize(("name", "template"), TEMPLATES)
def test_every_property_is_described(name, template):
    def walk(schema, path):
        for prop, sub in schema.get("properties", {}).items():
            if not sub.get(SECRET_REF_MARKER):
                assert sub.get("description"), f"{name}: {path}.{prop} has no description"
                walk(sub, f"{path}.{prop}")

    walk(template.parameters_schema(), "parameters")


def test_secret_ref_schema_is_marked_and_strict():
    schema = SecretRef.model_json_schema(by_alias=True)
    assert schema[SECRET_REF_MARKER] is True
    ref = SecretRef.model_validate({"secretRef": {"name": "db", "key": "pass.word-1"}})
    assert ref.secret_ref.name == "db"
    assert SecretRef(secret_ref={"name": "db", "key": "k"}).secret_ref.key == "k"
    for bad in (
        {"secretRef": {"name": "DB", "key": "k"}},
        {"secretRef": {"name": "db", "key": "a/b"}},
        {"secretRef": {"name": "db", "key": "k"}, "extra": 1},
    ):
        with pytest.raises(ValueError):
            SecretRef.model_validate(bad)


def test_secret_refs_stay_findable_in_inlined_schemas():
    schema = installed_templates()["database-cleanup"].parameters_schema()
    assert SECRET_REF_MARKER in json.dumps(schema)
