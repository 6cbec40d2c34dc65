"""One component alone, the aws-cdk way: one construct in an empty stack, then the properties
that matter asserted one at a time (aws-cdk's ``Template.hasResourceProperties``).

``build(plan, construct)`` runs ``construct(context)`` as the whole Pulumi program under
``mlops_preview``'s recording mocks and monitor (the ones ``mlops plan`` uses: every
registration is kept with its inputs, options and dependencies). The context is the plan's
environment policy with a fixed system key, :data:`KEY_ARN`, standing in for the Storage
component's, so a test can say "encrypted with the system key" as a literal. Inputs use the
engine's camelCase names; integral numbers are ints.

Matching is aws-cdk's ``objectLike``: an expected mapping names only the keys it cares about
(nested mappings too); an expected list must match element by element; :class:`Match` adds
``absent``, ``array_with``, ``json`` (a JSON string holding the pattern) and ``any``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

from mlops_components.refs import Refs, StackContext
from mlops_components.roles import Role, create_role
from mlops_preview import PlanDocument, PlannedResource, preview
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.iam import UNSCOPABLE_ACTIONS

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/system"
"""The system key every component gets from the test's context."""


class Match:
    """Matchers for what a literal cannot say."""

    def __init__(self, name: str, test: Callable[[Any, str], str | None]) -> None:
        self.name, self.test = name, test

    def __repr__(self) -> str:
        return self.name

    @staticmethod
    def absent() -> Match:
        return Match(
            "absent", lambda v, at: None if v is None else f"{at}: expected absent, got {v!r}"
        )

    @staticmethod
    def any() -> Match:
        return Match("any", lambda v, at: f"{at}: missing" if v is None else None)

    @staticmethod
    def array_with(items: list[Any]) -> Match:
        """A list holding, for each expected item, an element that matches it."""

        def test(actual: Any, at: str) -> str | None:
            if not isinstance(actual, list):
                return f"{at}: expected a list, got {actual!r}"
            for item in items:
                misses = [mismatch(item, e, f"{at}[{i}]") for i, e in enumerate(actual)]
                if all(misses):
                    return f"{at}: no element matches {item!r} ({'; '.join(map(str, misses))})"
            return None

        return Match(f"array_with({items!r})", test)

    @staticmethod
    def json(pattern: Any) -> Match:
        """A JSON document (a string) that matches ``pattern``."""

        def test(actual: Any, at: str) -> str | None:
            try:
                document = json.loads(actual)
            except (TypeError, ValueError):
                return f"{at}: expected a JSON string, got {actual!r}"
            return mismatch(pattern, document, f"{at}<json>")

        return Match(f"json({pattern!r})", test)


def mismatch(expected: Any, actual: Any, at: str = "") -> str | None:
    """Where ``actual`` differs from ``expected`` (``objectLike`` semantics), or None."""
    if isinstance(expected, Match):
        return expected.test(actual, at or "<value>")
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{at or '<value>'}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            found = mismatch(value, actual.get(key), f"{at}.{key}" if at else key)
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{at}: expected {expected!r}, got {actual!r}"
        for index, (item, element) in enumerate(zip(expected, actual, strict=True)):
            found = mismatch(item, element, f"{at}[{index}]")
            if found:
                return found
        return None
    if actual != expected or isinstance(actual, bool) != isinstance(expected, bool):
        return f"{at or '<value>'}: expected {expected!r}, got {actual!r}"
    return None


@dataclass(frozen=True)
class Template:
    """What one program registered."""

    document: PlanDocument

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.document.resources if r.type == type_]

    def named(self, name: str) -> PlannedResource:
        (found,) = [r for r in self.document.resources if r.name == name]
        return found

    def has_resource_properties(self, type_: str, inputs: dict[str, Any]) -> PlannedResource:
        """The one resource of ``type_`` whose inputs match; fails naming each near miss."""
        return self.has_resource(type_, {"inputs": inputs})

    def has_resource(self, type_: str, pattern: dict[str, Any]) -> PlannedResource:
        """As :meth:`has_resource_properties`, over the whole record: ``inputs``, ``protect``,
        ``retain_on_delete``, ``property_dependencies``, ``depends_on``, ``parent``..."""
        candidates = self._candidates(type_, pattern)
        misses = {r.name: mismatch(pattern, _record(r)) for r in candidates}
        matched = [r for r in candidates if misses[r.name] is None]
        if len(matched) == 1:
            return matched[0]
        if matched:
            names = ", ".join(r.name for r in matched)
            raise AssertionError(f"{len(matched)} {type_} match {pattern!r}: {names}")
        raise AssertionError(self._no_match(type_, pattern, misses))

    def all_resources(self, type_: str, pattern: dict[str, Any]) -> list[PlannedResource]:
        """Every resource of ``type_`` (at least one) matches ``pattern`` (whole record)."""
        candidates = self._candidates(type_, pattern)
        misses = {r.name: mismatch(pattern, _record(r)) for r in candidates}
        failed = {name: miss for name, miss in misses.items() if miss}
        if not candidates or failed:
            raise AssertionError(self._no_match(type_, pattern, failed, every=True))
        return candidates

    def resource_count_is(self, type_: str, count: int) -> None:
        found = [r.name for r in self.of_type(type_)]
        assert len(found) == count, f"expected {count} {type_}, found {len(found)}: {found}"

    def _candidates(self, type_: str, pattern: dict[str, Any]) -> list[PlannedResource]:
        """Resources of ``type_``; only the one named, when ``pattern`` names one."""
        found = self.of_type(type_)
        if "name" not in pattern:
            return found
        named = [r for r in found if r.name == pattern["name"]]
        assert named, f"no {type_} named {pattern['name']!r}; names: {[r.name for r in found]}"
        return named

    def _no_match(
        self, type_: str, pattern: Any, misses: dict[str, str | None], every: bool = False
    ) -> str:
        if not self.of_type(type_):
            types = sorted({r.type for r in self.document.resources})
            return f"no {type_} was registered; registered types: {types}"
        what = "not every" if every else "no"
        lines = [f"{what} {type_} matches {pattern!r}:"]
        lines += [f"  {name}: {miss}" for name, miss in misses.items() if miss]
        return "\n".join(lines)


def _record(resource: PlannedResource) -> dict[str, Any]:
    return resource.to_dict()


def context(plan: DeploymentPlan) -> StackContext:
    """The plan's policy and the fixed system key (call inside a program: it makes Outputs)."""
    return StackContext(plan.policy, Refs.from_key_arn(pulumi.Output.from_input(KEY_ARN)))


def build(plan: DeploymentPlan, construct: Callable[[StackContext], object]) -> Template:
    """Run ``construct`` alone as the program of ``plan``'s stack and record what it registers."""

    def program() -> None:
        construct(context(plan))

    document = preview(
        program,
        project="mlops",
        stack=plan.environment,
        config={"aws:region": plan.region},
        preview=False,  # as `pulumi up` would: ids and ARNs resolve, so dependent inputs show
    )
    return Template(document)


def sources(resource: PlannedResource, prop: str) -> list[str]:
    """Logical names of the resources input ``prop`` of ``resource`` was built from."""
    return [urn.rsplit("::", 1)[1] for urn in resource.property_dependencies.get(prop, ())]


@dataclass(frozen=True)
class TrainingStandIn:
    """What Retraining needs of a model's Training component: its scheduler role and the alias
    of the schedule's former home."""

    scheduler: Role | None
    schedule_alias: pulumi.Alias


def collaborators(plan: DeploymentPlan, context: StackContext) -> dict[str, TrainingStandIn]:
    """The scheduler roles the rest of the stack would provide (the Training components create
    them), registered from the plan under ``test:stack:Collaborators`` so that assertions can
    tell them from the component's own children. Call once per program."""
    holder = pulumi.ComponentResource("test:stack:Collaborators", "collaborators")
    return {
        training.model: TrainingStandIn(
            scheduler=create_role(
                holder, training.model, training.scheduler_role, context.refs, {}
            ),
            schedule_alias=pulumi.Alias(name=f"{training.model}-training-schedule"),
        )
        for training in plan.training
        if training.scheduler_role is not None
    }


def statements(policy: str) -> list[dict[str, Any]]:
    found = json.loads(policy)["Statement"]
    return found if isinstance(found, list) else [found]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def over_privileged(policy: str) -> list[str]:
    """Allow statements of an IAM policy that grant wildcard actions, or ``Resource: "*"`` for
    actions not in ``mlops_spec.plan.iam.UNSCOPABLE_ACTIONS`` (the reviewed exceptions)."""
    found = []
    for statement in statements(policy):
        if statement["Effect"] != "Allow":
            continue
        actions = _listed(statement["Action"])
        if any("*" in action for action in actions):
            found.append(f"{statement.get('Sid')}: wildcard action in {actions}")
        if "*" in _listed(statement.get("Resource", [])) and not set(actions) <= set(
            UNSCOPABLE_ACTIONS
        ):
            found.append(f"{statement.get('Sid')}: Resource '*' for {actions}")
    return found
