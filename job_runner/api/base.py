"""The base of every API model: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "dynamicjobs.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


class ApiModel(BaseModel):
    """Fields are written camelCase, unknown fields are refused, docstrings become descriptions."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
    )

    def to_api(self) -> dict[str, Any]:
        """The JSON the API server stores: camelCase, without unset optional fields."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class ObjectMeta(ApiModel):
    """The part of metadata the operator reads; the API server owns the rest."""

    model_config = ApiModel.model_config | {"extra": "ignore"}

    name: str
    namespace: str | None = None
    uid: str | None = None
    generation: int | None = None
    resource_version: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class Resource(ApiModel):
    """A top-level object of the API: what every kind shares, and what crdgen reads."""

    kind: ClassVar[str]
    plural: ClassVar[str]
    short_names: ClassVar[tuple[str, ...]]
    scope: ClassVar[str]

    model_config = ApiModel.model_config | {"extra": "ignore"}

    api_version: str = API_VERSION
    metadata: ObjectMeta
