"""URNs built the way the Pulumi engine builds them.

An engine URN is ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``. The qualified type is
the parent's qualified type, a ``$``, then the resource's own type; the root stack type
``pulumi:pulumi:Stack`` never appears in a child's qualified type. (The SDK's mock monitor instead
keeps only the parent's last type and keeps the stack type: pulumi/pulumi#8637.)
"""

from __future__ import annotations

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
_PREFIX = "urn:pulumi:"


def make_urn(stack: str, project: str, type_: str, name: str, parent: str | None = None) -> str:
    """The URN the engine gives resource ``type_``/``name`` registered under ``parent``."""
    qualified = type_
    if parent:
        parent_qualified = qualified_type(parent)
        if parent_qualified != ROOT_STACK_TYPE:
            qualified = f"{parent_qualified}${type_}"
    return f"{_PREFIX}{stack}::{project}::{qualified}::{name}"


def _parts(urn: str) -> list[str]:
    if not urn.startswith(_PREFIX):
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    parts = urn[len(_PREFIX) :].split("::", 3)
    if len(parts) != 4:
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    return parts


def qualified_type(urn: str) -> str:
    """The ``$``-joined type chain of a URN."""
    return _parts(urn)[2]


def urn_type(urn: str) -> str:
    """The resource's own type (the last link of the qualified type)."""
    return qualified_type(urn).rsplit("$", 1)[-1]


def urn_name(urn: str) -> str:
    """The logical name (may itself contain ``::``)."""
    return _parts(urn)[3]


def inherited_child_alias(
    child_type: str, child_name: str, parent_name: str, parent_alias: str
) -> str:
    """The old URN of a child whose parent was renamed, as the engine derives it.

    A child named ``<parent name>-suffix`` follows its parent's old name (the engine assumes the
    ``f"{name}-suffix"`` convention), otherwise it keeps its own name.
    """
    alias_name = child_name
    if child_name.startswith(parent_name):
        alias_name = urn_name(parent_alias) + child_name[len(parent_name) :]
    stack, project = _parts(parent_alias)[:2]
    return make_urn(stack, project, child_type, alias_name, parent_alias)
