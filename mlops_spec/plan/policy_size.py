"""IAM's size limit on a role's inline policies, checked at plan time.

Every role the AWS components create carries one inline policy (``aws.iam.RolePolicy``, see
``mlops_components/roles.py``). IAM allows 10,240 characters for all inline policies of a
role together, whitespace not counted (IAM and AWS STS quotas, "Role policy size"); a role
over it fails ``pulumi up`` at the role policy, after ``mlops validate`` said the spec was
fine. The planner measures each policy as rendered, with the placeholders at their longest
(a 12-digit account id, a full KMS key ARN) and the policy's name counted too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from mlops_spec.plan.documents import Statement
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.iam import RolePlan

INLINE_POLICIES_LIMIT = 10_240
"""IAM: characters of all inline policies of one role, whitespace excluded."""
_LONGEST = {
    "${account}": "0" * 12,
    "${key_arn}": "arn:aws-us-gov:kms:us-gov-west-1:" + "0" * 12 + ":key/" + "0" * 36,
}


def policy_size(role: RolePlan) -> int:
    """Characters IAM counts for ``role``'s inline policy (its name included).

    Counted, not rewritten: the JSON text escapes every control and non-ASCII character, so
    its only whitespace is the space, and the longest values hold none."""
    text = role.policy.to_json()
    size = len(text) - text.count(" ") + len(role.key)
    for placeholder, longest in _LONGEST.items():
        size += text.count(placeholder) * (len(longest) - len(placeholder))
    return size


def fits(role: RolePlan) -> bool:
    return policy_size(role) <= INLINE_POLICIES_LIMIT


def check_role(role: RolePlan, loc: tuple[str | int, ...], fix: str) -> None:
    """PlanError at ``loc`` when ``role``'s inline policy is over IAM's limit."""
    size = policy_size(role)
    if size > INLINE_POLICIES_LIMIT:
        raise PlanError(
            f"the IAM role {role.name} would carry a {size}-character inline policy; IAM allows "
            f"{INLINE_POLICIES_LIMIT} characters (whitespace excluded) for all inline policies "
            f"of a role, so `pulumi up` would fail at the role policy. {fix}",
            loc=loc,
        )


def merge_statements(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    """The same grants in fewer characters: statements of the same Sid, actions, effect and
    conditions as one listing all their resources; then statements of the same Sid, actions
    and resources whose only condition differs in its values alone as one condition listing
    all values (IAM ORs a condition key's values). First-seen order, no repeats."""
    by_conditions = _merge(statements, _resources_key, _union_resources)
    return _merge(by_conditions, _values_key, _union_values)


def _merge(
    statements: Iterable[Statement],
    key: Callable[[Statement], tuple],
    union: Callable[[Statement, Statement], Statement],
) -> tuple[Statement, ...]:
    merged: dict[tuple, Statement] = {}
    for statement in statements:
        k = key(statement)
        merged[k] = union(merged[k], statement) if k in merged else statement
    return tuple(merged.values())


def _same(s: Statement) -> tuple:
    return (s.sid, s.actions, s.effect, s.principals)


def _resources_key(s: Statement) -> tuple:
    return (*_same(s), s.conditions)


def _union_resources(kept: Statement, new: Statement) -> Statement:
    extra = tuple(r for r in new.resources if r not in kept.resources)
    return replace(kept, resources=kept.resources + extra)


def _values_key(s: Statement) -> tuple:
    if len(s.conditions) != 1:  # several keys are ANDed: merging values would widen
        return (*_same(s), s.resources, s.conditions)
    (condition,) = s.conditions
    return (*_same(s), s.resources, condition.operator, condition.key)


def _union_values(kept: Statement, new: Statement) -> Statement:
    (old,), (added,) = kept.conditions, new.conditions
    values = old.values + tuple(v for v in added.values if v not in old.values)
    return replace(kept, conditions=(replace(old, values=values),))


_SPLIT = "Split the system into fewer models per spec (one stack per group of models)"


def check_roles(roles: Iterable[tuple[str | None, RolePlan]]) -> None:
    """Every role (with the model it belongs to, or None for a system-wide one) fits IAM's
    inline-policy limit; PlanError at the model, or at ``models``, naming the first that does
    not."""
    for model, role in roles:
        check_role(role, ("models", model) if model else ("models",), _SPLIT)
