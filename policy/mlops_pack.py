"""The CrossGuard side of the guardrails: validate functions over pulumi_policy's arguments that
call the same rules as ``mlops check`` (``mlops_spec.guardrails``).

Nothing here imports pulumi_policy: the functions read its arguments by attribute
(``resource_type``, ``props``, ``urn``, ``name``, ``opts.protect``, ``resources``,
``property_dependencies``), so they are tested without it. ``__main__.py`` builds the pack.

- Rules over one resource become ResourceValidationPolicies, rules over several resources
  StackValidationPolicies, one policy per rule, named ``mlops-<rule id>``.
- Every stack is checked as production: disable the production-only policies for
  development stacks with ``--policy-pack-config development.json`` (beside this file).
- Values unknown during a preview are read as ``"<computed>"`` (set, not known), as in plan
  documents; CrossGuard does not say whether a resource is retained on delete, so that part of
  ``stateful-protected`` is left to ``mlops check``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_spec.guardrails import COMPUTED, RULES, Resource, Rule, Stack

PACK_NAME = "mlops-spec-guardrails"
UNKNOWN_ERROR = "UnknownValueError"
"""pulumi_policy raises it when a value unknown during preview is read."""
Report = Callable[..., None]
"""pulumi_policy's ``report_violation(message, urn=None)``."""


@dataclass(frozen=True)
class PolicySpec:
    """What ``__main__.py`` needs to construct one policy."""

    name: str
    description: str
    kind: str
    """``resource`` or ``stack``."""
    validate: Callable[[Any, Report], None]
    production_only: bool


def _read(read: Callable[[], Any]) -> Any:
    try:
        return plain(read())
    except Exception as error:  # pulumi_policy's UnknownValueError, matched by name
        if type(error).__name__ == UNKNOWN_ERROR:
            return COMPUTED
        raise


def plain(value: Any) -> Any:
    """A plain copy of CrossGuard properties, unknown values as ``"<computed>"``."""
    if isinstance(value, Mapping):
        return {str(key): _read(lambda key=key: value[key]) for key in list(value.keys())}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_read(lambda index=index: value[index]) for index in range(len(value))]
    return value


def resource_of(args: Any) -> Resource:
    """A rules ``Resource`` from ResourceValidationArgs or a stack's PolicyResource."""
    dependencies = getattr(args, "property_dependencies", None) or {}
    return Resource(
        urn=str(args.urn),
        type=str(args.resource_type),
        name=str(args.name),
        inputs=plain(args.props),
        protect=getattr(getattr(args, "opts", None), "protect", None),
        retain_on_delete=None,
        property_dependencies={
            key: tuple(str(r.urn) for r in resources) for key, resources in dependencies.items()
        },
    )


def stack_of(args: Any) -> Stack:
    """A rules ``Stack`` from StackValidationArgs (checked as production)."""
    return Stack(tuple(resource_of(r) for r in args.resources), production=True)


def resource_validator(rule: Rule) -> Callable[[Any, Report], None]:
    assert rule.resource_check is not None
    check = rule.resource_check

    def validate(args: Any, report_violation: Report) -> None:
        resource = resource_of(args)
        for message in check(resource):
            report_violation(f"{resource.label}: {message} (fix: {rule.fix})")

    return validate


def stack_validator(rule: Rule) -> Callable[[Any, Report], None]:
    def validate(args: Any, report_violation: Report) -> None:
        for violation in rule.violations(stack_of(args)):
            report_violation(
                f"{violation.resource}: {violation.message} (fix: {rule.fix})", violation.urn
            )

    return validate


def policies() -> list[PolicySpec]:
    """One policy per rule of ``mlops_spec.guardrails``, in their order."""
    return [
        PolicySpec(
            name=f"mlops-{rule.id}",
            description=rule.description,
            kind="resource" if rule.resource_check else "stack",
            validate=resource_validator(rule) if rule.resource_check else stack_validator(rule),
            production_only=rule.production_only,
        )
        for rule in RULES
    ]
