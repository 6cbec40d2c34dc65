"""Turn pydantic errors into Problems that speak the spec's language, with positions."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from mlops_spec.errors import Problem
from mlops_spec.types import PATTERN_NAMES, suggest
from mlops_spec.yamlio import Loc, Position

_TAGS = {"tier", "type"}


def _align(loc: tuple[Any, ...], data: Any) -> tuple[Loc, bool]:
    """Map a pydantic loc onto the document's path (dropping union tags); flag key errors."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if part == "[key]":
            return tuple(path), True
        if isinstance(node, dict):
            if part in node:
                path.append(part)
                node = node[part]
            elif any(node.get(tag) == part for tag in _TAGS) or not isinstance(part, str | int):
                continue
            elif isinstance(part, str) and (part[:1].isupper() or "[" in part):
                continue  # a union member's name, e.g. PinnedVersion or literal['x']
            else:
                path.append(part)
                node = None
        elif isinstance(node, list) and isinstance(part, int):
            path.append(part)
            node = node[part] if part < len(node) else None
        elif node is None:
            path.append(part)
        # else: a union member name under a scalar: skip
    return tuple(path), False


def _strip(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
            else:
                return annotation
        else:
            return annotation


def model_at(root: type[BaseModel], data: Any, path: Loc) -> type[BaseModel] | None:
    """The model class that holds the mapping at ``path`` (None if not a model)."""
    model: Any = root
    node = data
    index = 0
    while index < len(path):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(path[index]))
        if field is None:
            return None
        node = node.get(path[index]) if isinstance(node, dict) else None
        index += 1
        annotation = _strip(field.annotation)
        while True:
            origin = get_origin(annotation)
            if origin is dict and index < len(path):
                annotation = _strip(get_args(annotation)[1])
                node = node.get(path[index]) if isinstance(node, dict) else None
                index += 1
            elif origin is list and index < len(path):
                annotation = _strip(get_args(annotation)[0])
                part = path[index]
                node = (
                    node[part]
                    if isinstance(node, list) and isinstance(part, int) and part < len(node)
                    else None
                )
                index += 1
            elif origin in (Union, types.UnionType):
                members = [_strip(a) for a in get_args(annotation)]
                chosen = None
                for member in members:
                    if isinstance(member, type) and issubclass(member, BaseModel):
                        for tag in _TAGS:
                            tag_field = member.model_fields.get(tag)
                            if (
                                tag_field
                                and isinstance(node, dict)
                                and node.get(tag) in get_args(tag_field.annotation)
                            ):
                                chosen = member
                        if chosen is None and not any(t in member.model_fields for t in _TAGS):
                            chosen = chosen or member
                if chosen is None:
                    return None
                annotation = chosen
                break
            else:
                break
        model = annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    return sorted(model.model_fields) if model else []


def _position(
    path: Loc, values: dict[Loc, Position], keys: dict[Loc, Position], prefer_key: bool
) -> Position | None:
    table = keys if prefer_key else values
    if path in table:
        return table[path]
    for size in range(len(path) - 1, -1, -1):
        parent = path[:size]
        if parent in keys:
            return keys[parent]
    return None


def _expected_values(ctx: dict[str, Any]) -> list[str]:
    expected = str(ctx.get("expected", ctx.get("expected_tags", "")))
    quoted = re.findall(r"'([^']*)'", expected)
    return quoted or [p for p in re.split(r",\s*|\s+or\s+", expected) if p]


def to_problems(
    error: ValidationError,
    *,
    root: type[BaseModel],
    data: Any,
    values: dict[Loc, Position],
    keys: dict[Loc, Position],
    file: str,
    environment: str | None = None,
    loc_prefix: Loc = (),
    fallback: Position | None = None,
) -> list[Problem]:
    """Every pydantic error as a Problem (file, line, spec path, value, allowed, hint)."""
    problems: list[Problem] = []
    seen_paths: set[Loc] = set()
    for item in error.errors(include_url=False):
        kind = item["type"]
        ctx = item.get("ctx") or {}
        path, key_error = _align(item["loc"], data)
        given = item.get("input")
        got: Any = given if isinstance(given, str | int | float | bool) else None
        allowed = suggestion = hint = None
        message = str(item["msg"]).removeprefix("Value error, ")
        prefer_key = key_error or kind in ("extra_forbidden", "missing")
        if kind == "extra_forbidden":
            parent = model_at(root, data, path[:-1])
            options = _allowed_keys(parent)
            message = "unknown key"
            got = path[-1]
            allowed = ", ".join(options) if options else None
            suggestion = suggest(str(path[-1]), options)
        elif kind == "missing":
            message = f"required key {path[-1]!r} is missing"
            got = None
        elif kind in ("literal_error", "enum"):
            options = _expected_values(ctx)
            message = "not an allowed value"
            allowed = ", ".join(options)
            suggestion = suggest(str(given), options)
            if suggestion == str(given):  # e.g. "1" for 1: the value was quoted
                suggestion = None
                hint = "write it without quotes"
        elif kind == "union_tag_invalid":
            options = _expected_values(ctx)
            tag = str(ctx.get("discriminator", "")).strip("'")
            path = (*path, tag) if path and path[-1] != tag else path
            message = f"unknown {tag}"
            got = ctx.get("tag")
            allowed = ", ".join(options)
            suggestion = suggest(str(got), options)
        elif kind == "union_tag_not_found":
            tag = str(ctx.get("discriminator", "")).strip("'")
            message = f"required key {tag!r} is missing"
        elif kind.startswith("spec_"):
            got = ctx.get("got", got)
            allowed = ctx.get("allowed")
            suggestion = ctx.get("suggestion")
        elif kind == "string_pattern_mismatch":
            message = "is not in the required form"
            pattern = str(ctx.get("pattern"))
            allowed = PATTERN_NAMES.get(pattern) or f"pattern {pattern}"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = "must be a mapping"
            got = type(given).__name__ if given is not None else "null"
        elif kind == "list_type":
            message = "must be a list"
            got = type(given).__name__
        elif key_error:
            message = f"invalid key: {message[0].lower()}{message[1:]}"
        else:
            message = message[0].lower() + message[1:] if message else message
        if key_error:
            got = path[-1] if path else got
        if kind in ("literal_error",) and path in seen_paths:
            continue  # the other branch of the same union
        seen_paths.add(path)
        position = _position(path, values, keys, prefer_key) or fallback
        problems.append(
            Problem(
                position.file if position else file,
                position.line if position else None,
                position.column if position else None,
                (*loc_prefix, *path),
                message,
                got=got,
                allowed=allowed,
                suggestion=suggestion,
                hint=hint,
                environment=environment,
            )
        )
    return problems
