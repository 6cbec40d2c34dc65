"""The shared base of every spec model: strict (unknown keys refused) and frozen; each field's
description is its attribute docstring."""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import sys
from typing import Any

from pydantic import BaseModel, ConfigDict

# Pydantic's model metaclass (not exported; tests/spec/test_attribute_docstrings.py compares the
# descriptions with pydantic's own docstring reading, so a change there cannot go unnoticed).
from pydantic._internal._model_construction import ModelMetaclass


class _DocumentedModel(ModelMetaclass):
    """Pydantic's metaclass, giving each field without a description its attribute docstring
    as soon as pydantic has collected the fields (``__pydantic_fields__``), before it builds
    the schema: what ``use_attribute_docstrings`` does (a field's own ``description`` wins),
    but from one parse of each module instead of a tokenizing of each class's source block
    found by walking the stack (~40 ms of every command)."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "__pydantic_fields__":
            docs = attribute_docstrings(cls.__module__).get(cls.__qualname__, {})
            for field, info in value.items():
                if info.description is None and field in docs:
                    info.description = docs[field]
        super().__setattr__(name, value)


@functools.cache
def attribute_docstrings(module: str) -> dict[str, dict[str, str]]:
    """Per class of ``module`` (by qualified name): its attributes' docstrings, cleaned as
    ``inspect.cleandoc`` does. Empty when the source cannot be read (as pydantic does)."""
    try:
        tree = ast.parse(inspect.getsource(sys.modules[module]))
    except (OSError, TypeError, KeyError):
        return {}
    found: dict[str, dict[str, str]] = {}
    _collect(tree.body, "", found)
    return found


def _collect(body: list[ast.stmt], prefix: str, found: dict[str, dict[str, str]]) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef):
            qualname = prefix + node.name
            found[qualname] = _class_docstrings(node.body)
            _collect(node.body, qualname + ".", found)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _collect(node.body, f"{prefix}{node.name}.<locals>.", found)


def _class_docstrings(body: list[ast.stmt]) -> dict[str, str]:
    """``{attribute: docstring}``: a string statement right after ``name: annotation``."""
    docs = {}
    for previous, node in itertools.pairwise(body):
        if (
            isinstance(previous, ast.AnnAssign)
            and isinstance(previous.target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[previous.target.id] = inspect.cleandoc(node.value.value)
    return docs


class SpecModel(BaseModel, metaclass=_DocumentedModel):
    """Base for all spec sections: ``extra="forbid"``, frozen, docstrings as descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_default=True,
        str_strip_whitespace=False,
    )
