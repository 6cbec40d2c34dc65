"""Turn pydantic errors into Problems that speak the spec's language, with positions."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


def accepts_null(root: type[BaseModel], data: Any, loc: Loc) -> bool:
    """True if the field at ``loc`` of ``data`` (read as ``root``) is optional: its type
    admits null. Entries of mappings of ids and keys no model declares do not."""
    model = model_at(root, data, loc[:-1]) if loc else None
    field = model.model_fields.get(str(loc[-1])) if model is not None else None
    if field is None:
        return False
    annotation = field.annotation
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        return type(None) in get_args(annotation)
    return annotation is type(None)


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    return sorted(model.model_fields) if model else []


def position_of(
    path: Loc,
    values: Mapping[Loc, Position],
    keys: Mapping[Loc, Position],
    prefer_key: bool = False,
) -> Position | None:
    """Where ``path`` is written: its value (or key), else the nearest written ancestor key."""
    found = (keys if prefer_key else values).get(path)
    size = len(path)
    while found is None and size > 0:
        size -= 1
        found = keys.get(path[:size])
    return found


def _expected_values(ctx: dict[str, Any]) -> list[str]:
    expected = str(ctx.get("expected", ctx.get("expected_tags", "")))
    quoted = re.findall(r"'([^']*)'", expected)
    return quoted or [p for p in re.split(r",\s*|\s+or\s+", expected) if p]


@dataclass
class _Reading:
    """One pydantic error in the spec's terms; each error kind's reader fills it in."""

    path: Loc
    message: str
    given: Any
    got: Any
    ctx: dict[str, Any]
    key_error: bool
    allowed: str | None = None
    suggestion: str | None = None
    hint: str | None = None


def _unknown_key(r: _Reading, root: type[BaseModel], data: Any) -> None:
    options = _allowed_keys(model_at(root, data, r.path[:-1]))
    r.message = "unknown key"
    r.got = r.path[-1]
    r.allowed = ", ".join(options) if options else None
    r.suggestion = suggest(str(r.path[-1]), options)


def _missing(r: _Reading, root: type[BaseModel], data: Any) -> None:
    r.message = f"required key {r.path[-1]!r} is missing"
    r.got = None


def _not_allowed(r: _Reading, root: type[BaseModel], data: Any) -> None:
    options = _expected_values(r.ctx)
    r.message = "not an allowed value"
    r.allowed = ", ".join(options)
    r.suggestion = suggest(str(r.given), options)
    if r.suggestion == str(r.given):  # e.g. "1" for 1: the value was quoted
        r.suggestion = None
        r.hint = "write it without quotes"


def _unknown_tag(r: _Reading, root: type[BaseModel], data: Any) -> None:
    options = _expected_values(r.ctx)
    tag = str(r.ctx.get("discriminator", "")).strip("'")
    r.path = (*r.path, tag) if r.path and r.path[-1] != tag else r.path
    r.message = f"unknown {tag}"
    r.got = r.ctx.get("tag")
    r.allowed = ", ".join(options)
    r.suggestion = suggest(str(r.got), options)


def _missing_tag(r: _Reading, root: type[BaseModel], data: Any) -> None:
    tag = str(r.ctx.get("discriminator", "")).strip("'")
    r.message = f"required key {tag!r} is missing"


def _semantic(r: _Reading, root: type[BaseModel], data: Any) -> None:
    """A cross-object rule (``mlops_spec.checks``): its issue carries got/allowed/suggestion."""
    r.got = r.ctx.get("got", r.got)
    r.allowed = r.ctx.get("allowed")
    r.suggestion = r.ctx.get("suggestion")


def _wrong_form(r: _Reading, root: type[BaseModel], data: Any) -> None:
    r.message = "is not in the required form"
    pattern = str(r.ctx.get("pattern"))
    r.allowed = PATTERN_NAMES.get(pattern) or f"pattern {pattern}"


def _not_mapping(r: _Reading, root: type[BaseModel], data: Any) -> None:
    r.message = "must be a mapping"
    r.got = type(r.given).__name__ if r.given is not None else "null"


def _not_list(r: _Reading, root: type[BaseModel], data: Any) -> None:
    r.message = "must be a list"
    r.got = type(r.given).__name__


def _other(r: _Reading, root: type[BaseModel], data: Any) -> None:
    """pydantic's own message, lower-cased to follow the spec path."""
    message = r.message
    if r.key_error:
        r.message = f"invalid key: {message[0].lower()}{message[1:]}"
    else:
        r.message = message[0].lower() + message[1:] if message else message


_READERS: dict[str, Callable[[_Reading, type[BaseModel], Any], None]] = {
    "extra_forbidden": _unknown_key,
    "missing": _missing,
    "literal_error": _not_allowed,
    "enum": _not_allowed,
    "union_tag_invalid": _unknown_tag,
    "union_tag_not_found": _missing_tag,
    "string_pattern_mismatch": _wrong_form,
    "dict_type": _not_mapping,
    "model_type": _not_mapping,
    "model_attributes_type": _not_mapping,
    "list_type": _not_list,
}
"""How each pydantic error kind reads in the spec's terms (``spec_*``: ``_semantic``)."""


def _read(item: Any, root: type[BaseModel], data: Any) -> _Reading:
    kind = item["type"]
    path, key_error = _align(item["loc"], data)
    given = item.get("input")
    reading = _Reading(
        path=path,
        message=str(item["msg"]).removeprefix("Value error, "),
        given=given,
        got=given if isinstance(given, str | int | float | bool) else None,
        ctx=item.get("ctx") or {},
        key_error=key_error,
    )
    reader = _READERS.get(kind) or (_semantic if kind.startswith("spec_") else _other)
    reader(reading, root, data)
    if key_error:
        reading.got = reading.path[-1] if reading.path else reading.got
    return reading


def to_problems(
    error: ValidationError,
    *,
    root: type[BaseModel],
    data: Any,
    values: Mapping[Loc, Position],
    keys: Mapping[Loc, Position],
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
        r = _read(item, root, data)
        if kind == "literal_error" and r.path in seen_paths:
            continue  # the other branch of the same union
        seen_paths.add(r.path)
        prefer_key = r.key_error or kind in ("extra_forbidden", "missing")
        position = position_of(r.path, values, keys, prefer_key) or fallback
        problems.append(
            Problem(
                position.file if position else file,
                position.line if position else None,
                position.column if position else None,
                (*loc_prefix, *r.path),
                r.message,
                got=r.got,
                allowed=r.allowed,
                suggestion=r.suggestion,
                hint=r.hint,
                environment=environment,
            )
        )
    return problems
