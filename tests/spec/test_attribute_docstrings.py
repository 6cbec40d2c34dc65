"""``SpecModel`` reads attribute docstrings itself (one parse per module) instead of pydantic's
``use_attribute_docstrings`` (a tokenizing of each class's source): the same class bodies must
get the same field descriptions and JSON Schema either way."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field

from mlops_spec.models.base import SpecModel
from mlops_spec.models.docstrings import attribute_docstrings
from mlops_spec.models.spec import SpecFile


class _Pydantic(BaseModel):
    """The reference: pydantic's own docstring reading, with SpecModel's other settings."""

    model_config = ConfigDict(**{**SpecModel.model_config, "use_attribute_docstrings": True})


def _define(base: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The same models on ``base``: every way a field gets (or keeps) its description."""

    class Inner(base):  # type: ignore[valid-type, misc]
        size: int = 3
        """A raw default."""

    class Outer(base):  # type: ignore[valid-type, misc]
        """The class docstring is not a field's."""

        inner: Inner
        """No default."""
        tags: list[str] = Field(default_factory=list, max_length=3)
        """A Field() default without a description."""
        note: str | None = Field(default=None, description="The explicit description wins.")
        """Not this docstring."""
        limit: int = Field(default=1, ge=1)

        """A docstring after a blank line still follows the attribute."""
        undocumented: bool = False
        kind: ClassVar[str] = "outer"
        """A class variable is not a field."""

        def method(self) -> None:
            """A method's docstring is nobody's."""

    class Child(Outer):
        size: int = 5
        """The subclass's own field."""
        undocumented: bool = True
        """Documented in the subclass."""

    return {"Inner": Inner, "Outer": Outer, "Child": Child}


def _descriptions(model: type[BaseModel]) -> dict[str, Any]:
    return {name: field.description for name, field in model.model_fields.items()}


@pytest.mark.parametrize("name", ["Inner", "Outer", "Child"])
def test_descriptions_and_schema_match_pydantics_own_docstring_reading(name: str) -> None:
    ours, reference = _define(SpecModel)[name], _define(_Pydantic)[name]
    assert _descriptions(ours) == _descriptions(reference)
    assert ours.model_json_schema() == reference.model_json_schema()


def test_the_cases_above_really_differ() -> None:
    outer = _descriptions(_define(SpecModel)["Child"])
    assert outer["inner"] == "No default."
    assert outer["note"] == "The explicit description wins."
    assert outer["limit"] == "A docstring after a blank line still follows the attribute."
    assert outer["undocumented"] == "Documented in the subclass."
    assert "kind" not in outer


def test_the_spec_models_are_read_from_one_parse_per_module() -> None:
    assert SpecFile.model_fields["spec_version"].description
    assert "SystemSpec" in attribute_docstrings("mlops_spec.models.spec")
    assert attribute_docstrings("no.such.module") == {}
