"""The shared base of every spec model: strict (unknown keys refused) and frozen; each field's
description is its attribute docstring."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

# Pydantic's model metaclass (not exported; tests/spec/test_attribute_docstrings.py compares the
# descriptions with pydantic's own docstring reading, so a change there cannot go unnoticed).
from pydantic._internal._model_construction import ModelMetaclass

from mlops_spec.models.docstrings import attribute_docstrings


class _DocumentedModel(ModelMetaclass):
    """Pydantic's metaclass, giving each field without a description its attribute docstring
    as soon as pydantic has collected the fields (``__pydantic_fields__``), before it builds
    the schema: what ``use_attribute_docstrings`` does (a field's own ``description`` wins),
    but from one parse of each module (kept on disk between commands:
    ``mlops_spec.models.docstrings``) instead of a tokenizing of each class's source block
    found by walking the stack (~40 ms of every command)."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "__pydantic_fields__":
            docs = attribute_docstrings(cls.__module__).get(cls.__qualname__, {})
            for field, info in value.items():
                if info.description is None and field in docs:
                    info.description = docs[field]
        super().__setattr__(name, value)


class SpecModel(BaseModel, metaclass=_DocumentedModel):
    """Base for all spec sections: ``extra="forbid"``, frozen, docstrings as descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_default=True,
        str_strip_whitespace=False,
    )
