"""A rule: an id, what it requires, and a check over one resource or the whole stack."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mlops_spec.guardrails.stack import Resource, Stack

ResourceCheck = Callable[[Resource], Iterable[str]]
"""Messages about one resource (empty when it complies)."""
StackCheck = Callable[[Stack], Iterable[tuple[Resource, str]]]
"""(resource, message) for every place the stack breaks the rule."""


@dataclass(frozen=True)
class Violation:
    rule: str
    urn: str
    resource: str
    """The resource's physical name when known, else its logical name."""
    type: str
    message: str

    def render(self) -> str:
        return f"{self.urn}: [{self.rule}] {self.resource}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "urn": self.urn,
            "resource": self.resource,
            "type": self.type,
            "message": self.message,
        }


@dataclass(frozen=True)
class Rule:
    """One guardrail. Exactly one of ``resource_check`` and ``stack_check`` is set: a resource
    check needs nothing but the resource (a CrossGuard ResourceValidationPolicy), a stack check
    reads several resources (a StackValidationPolicy)."""

    id: str
    description: str
    production_only: bool
    fix: str
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None

    def violation(self, resource: Resource, message: str) -> Violation:
        return Violation(self.id, resource.urn, resource.label, resource.type, message)

    def violations(self, stack: Stack) -> list[Violation]:
        if self.resource_check is not None:
            return [
                self.violation(resource, message)
                for resource in stack.resources
                for message in self.resource_check(resource)
            ]
        assert self.stack_check is not None
        return [self.violation(resource, message) for resource, message in self.stack_check(stack)]
