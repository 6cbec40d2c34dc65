"""Every spec field documents itself where users read it: the committed JSON Schema.

Fields are documented by attribute docstrings (``SpecModel`` reads them as pydantic's
``use_attribute_docstrings`` does); a description on an ``Annotated`` type would silently
replace them, so types carry none. An
optional field's description says what happens when it is left out, in the form
``Default: <value> — <what that does>`` (aws-cdk's "@default - the bucket will be orphaned").
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest
from pydantic import BaseModel, Field

from mlops_spec.models.base import SpecModel
from mlops_spec.models.spec import SpecFile
from mlops_spec.schema import json_schema
from mlops_spec.types import PATTERN_NAMES, SCHEDULE_SCHEMA_PATTERN
from tests.conftest import ROOT

COMMITTED = json.loads((ROOT / "schema/mlops-spec.v1.schema.json").read_text())
DEFAULT = re.compile(r"Default: (?P<value>.+?) —\s+(?P<behaviour>\S.{9,})", re.DOTALL)
"""``Default: <value> — <at least ten characters saying what that does>``."""


def spec_models(annotation: Any, found: list[type[BaseModel]] | None = None) -> list[type]:
    """The models reachable from ``annotation`` (through unions, lists, dicts, Annotated)."""
    found = [] if found is None else found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.append(annotation)
            for field in annotation.model_fields.values():
                spec_models(field.annotation, found)
        return found
    for argument in typing.get_args(annotation):
        spec_models(argument, found)
    return found


def properties(schema: dict[str, Any], model: type[BaseModel], root: type) -> dict[str, Any]:
    if model is root:
        return schema["properties"]
    definition = schema.get("$defs", {}).get(model.__name__)
    assert definition, f"{model.__name__} is not in the schema's $defs"
    return definition["properties"]


def problems(root: type[BaseModel], schema: dict[str, Any]) -> list[str]:
    """One line per field whose documentation is missing, lost or silent about its default."""
    found = []
    for model in spec_models(root):
        props = properties(schema, model, root)
        for name, field in model.model_fields.items():
            where = f"{model.__name__}.{name}"
            documented = field.description
            shown = props.get(name, {}).get("description")
            if not documented:
                found.append(f"{where}: no description (write an attribute docstring)")
            elif shown != documented:
                found.append(f"{where}: the schema shows {shown!r}, not the docstring")
            elif field.is_required() and "Default" in documented:
                found.append(f"{where}: required, yet its description names a default")
            elif not field.is_required() and not DEFAULT.search(documented):
                found.append(
                    f"{where}: optional, but its description lacks "
                    f"'Default: <value> — <what that does>': {documented!r}"
                )
    return found


def test_every_field_documents_itself_in_the_committed_schema() -> None:
    found = problems(SpecFile, COMMITTED)
    assert not found, "\n".join(found)


def test_the_walk_reaches_every_model_of_the_schema() -> None:
    walked = {m.__name__ for m in spec_models(SpecFile)} - {SpecFile.__name__}
    in_schema = {k for k, v in COMMITTED["$defs"].items() if "properties" in v}
    assert walked == in_schema


def test_every_string_form_has_a_name_for_error_messages() -> None:
    patterns = set(re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")', json.dumps(json_schema())))
    unnamed = {json.loads(p) for p in patterns} - set(PATTERN_NAMES) - {SCHEDULE_SCHEMA_PATTERN}
    assert not unnamed, f"add these patterns to mlops_spec.types.PATTERN_NAMES: {unnamed}"


class _Inner(SpecModel):
    size: int = 3
    """Size. Default: 3."""


class _Outer(SpecModel):
    inner: _Inner
    """The inner part."""
    count: int = 1
    """How many. Default: 1 — one of them is created."""
    note: str | None = Field(default=None, description="Free text. Default: unset.")
    required_with_default_text: str
    """Default: nothing."""
    undocumented: bool = False


@pytest.mark.parametrize(
    "expected",
    [
        "_Inner.size: optional, but its description lacks",
        "_Outer.note: optional, but its description lacks",
        "_Outer.required_with_default_text: required, yet its description names a default",
        "_Outer.undocumented: no description",
    ],
)
def test_the_check_names_each_badly_documented_field(expected: str) -> None:
    found = problems(_Outer, _Outer.model_json_schema())
    assert any(line.startswith(expected) for line in found), found
    assert not any(line.startswith("_Outer.count") for line in found), found


def test_the_check_notices_a_schema_that_lost_a_docstring() -> None:
    schema = _Outer.model_json_schema()
    schema["properties"]["count"]["description"] = "Something else."
    assert any(
        line.startswith("_Outer.count: the schema shows") for line in problems(_Outer, schema)
    )
