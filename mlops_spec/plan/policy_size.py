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
from json.encoder import encode_basestring_ascii

from mlops_spec.plan.documents import Condition, PolicyDocument, Statement
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

    Counted from the statements, not encoded (see :func:`json_length`): the JSON text escapes
    every control and non-ASCII character, so its only whitespace is the space, which only its
    strings hold, and the longest values hold none."""
    try:
        length, strings = json_length(role.policy)
    except (TypeError, ValueError):  # not what the types say: as the encoder counts it
        strings = role.policy.to_json()
        length = len(strings)
    size = length - strings.count(" ") + len(role.key)
    for placeholder, longest in _LONGEST.items():
        size += strings.count(placeholder) * (len(longest) - len(placeholder))
    return size


def json_length(policy: PolicyDocument) -> tuple[int, str]:
    """``len(policy.to_json())`` without building it, and the policy's strings joined by ','.

    The canonical text is the strings (each quoted and escaped by the encoder's own
    ``encode_basestring_ascii``, which maps each character independently, so the escaped
    strings' lengths add up in their join) and fixed punctuation: the keys, ':' and ',' with
    no spaces, a list's brackets unless ``Statement.to_dict`` collapses its one element. A
    placeholder holds no ',', '"' nor '\\' and is never part of an escape, so each string's
    placeholders and spaces are counted alike in the join. Raises ValueError for what
    ``to_dict`` cannot write (no action, a condition without values), TypeError for non-text.
    """
    statements = policy.statements
    strings: list[str] = []
    append, extend = strings.append, strings.extend
    size = _POLICY + max(len(statements) - 1, 0)
    for statement in statements:  # inline: thousands of roles, ~17 statements each
        actions, resources = statement.actions, statement.resources
        count = len(actions)
        if not count:
            raise ValueError("a statement without actions")
        append(statement.sid)
        append(statement.effect)
        extend(actions)
        size += _STATEMENT + (count + 1 if count > 1 else 0)  # a list's brackets and commas
        if resources:
            extend(resources)
            count = len(resources)
            size += _RESOURCE + (count + 1 if count > 1 else 0)
        if statement.principals:
            size += _PRINCIPAL + _principals(statement.principals, strings)
        if statement.conditions:
            size += _CONDITION + _conditions(statement.conditions, strings)
    if not strings:
        return size, ""
    joined = ",".join(strings)
    # each string is 2 quotes + its escaped text; the join adds len(strings) - 1 commas
    return size + len(strings) + len(encode_basestring_ascii(joined)) - 1, joined


_POLICY = len('{"Statement":[],"Version":"2012-10-17"}')
_STATEMENT = len('{"Sid":,"Effect":,"Action":}')
_RESOURCE = len(',"Resource":')
_PRINCIPAL = len(',"Principal":')
_CONDITION = len(',"Condition":{}')


def _list(count: int) -> int:
    """Brackets and commas of a list of ``count`` strings (one is written alone)."""
    return count + 1 if count > 1 else 0


def _principals(principals: tuple[tuple[str, str], ...], strings: list[str]) -> int:
    if principals == (("*", "*"),):
        strings.append("*")
        return 0
    grouped: dict[str, list[str]] = {}
    for kind, value in principals:
        grouped.setdefault(kind, []).append(value)
    size = len(grouped) + 1  # braces, commas between kinds
    for kind, values in grouped.items():
        strings.append(kind)
        strings += values
        size += 1 + _list(len(values))  # ':'
    return size


def _conditions(conditions: tuple[Condition, ...], strings: list[str]) -> int:
    """As ``to_dict`` groups them: by operator, a later condition of the same key replacing
    an earlier one's values."""
    if len(conditions) == 1:  # most: one operator, one key
        (condition,) = conditions
        values = condition.values
        if not values:
            raise ValueError("a condition without values")
        strings.append(condition.operator)
        strings.append(condition.key)
        strings += values
        return 4 + _list(len(values))  # ':' and braces of the operator, ':' of the key
    block: dict[str, dict[str, tuple[str, ...]]] = {}
    for condition in conditions:
        if not condition.values:
            raise ValueError("a condition without values")
        block.setdefault(condition.operator, {})[condition.key] = condition.values
    size = len(block) - 1  # commas between operators
    for operator, keys in block.items():
        strings.append(operator)
        size += len(keys) + 2  # ':', braces, commas between keys
        for key, values in keys.items():
            strings.append(key)
            strings += values
            size += 1 + _list(len(values))  # ':'
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
    by_conditions = _merge(statements, _resources_key, _resources, _with_resources)
    return _merge(by_conditions, _values_key, _values, _with_values)


def _merge(
    statements: Iterable[Statement],
    key: Callable[[Statement], tuple],
    items: Callable[[Statement], tuple[str, ...]],
    rebuild: Callable[[Statement, tuple[str, ...]], Statement],
) -> tuple[Statement, ...]:
    """The first statement of each key, rebuilt with the union of its group's items: its own,
    then each later statement's not among those gathered before it (a set per group, so a
    deploy role's thousands of endpoint statements merge in linear time)."""
    first: dict[tuple, Statement] = {}
    unions: dict[tuple, tuple[list[str], set[str]]] = {}
    for statement in statements:
        k = key(statement)
        kept = first.setdefault(k, statement)
        if kept is statement:
            continue
        if k not in unions:
            unions[k] = (list(items(kept)), set(items(kept)))
        union, seen = unions[k]
        extra = [item for item in items(statement) if item not in seen]
        union += extra
        seen.update(extra)
    return tuple(
        rebuild(statement, tuple(unions[k][0])) if k in unions else statement
        for k, statement in first.items()
    )


def _same(s: Statement) -> tuple:
    return (s.sid, s.actions, s.effect, s.principals)


def _resources_key(s: Statement) -> tuple:
    return (*_same(s), s.conditions)


def _resources(s: Statement) -> tuple[str, ...]:
    return s.resources


def _with_resources(s: Statement, resources: tuple[str, ...]) -> Statement:
    return replace(s, resources=resources)


def _values_key(s: Statement) -> tuple:
    if len(s.conditions) != 1:  # several keys are ANDed: merging values would widen
        return (*_same(s), s.resources, s.conditions)
    (condition,) = s.conditions
    return (*_same(s), s.resources, condition.operator, condition.key)


def _values(s: Statement) -> tuple[str, ...]:
    return s.conditions[0].values


def _with_values(s: Statement, values: tuple[str, ...]) -> Statement:
    (condition,) = s.conditions
    return replace(s, conditions=(replace(condition, values=values),))


_SPLIT = "Split the system into fewer models per spec (one stack per group of models)"


def check_roles(roles: Iterable[tuple[str | None, RolePlan]]) -> None:
    """Every role (with the model it belongs to, or None for a system-wide one) fits IAM's
    inline-policy limit; PlanError at the model, or at ``models``, naming the first that does
    not."""
    for model, role in roles:
        check_role(role, ("models", model) if model else ("models",), _SPLIT)
