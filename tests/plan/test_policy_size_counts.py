"""The IAM size check counts a policy from its statements instead of encoding it; the count must
be exactly what the encoding gives: on every policy document of every planned stack (examples,
the all-tiers spec, the estate, 200 generated models) and on statements JSON has to escape
(non-ASCII, quotes, backslashes, control characters, characters outside the BMP), split
placeholders, principals and conditions grouped as ``Statement.to_dict`` groups them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.specgen import generate
from mlops_spec.load import resolve
from mlops_spec.plan import DeploymentPlan, plan, policy_size
from mlops_spec.plan.deployment import _roles
from mlops_spec.plan.documents import Condition, PolicyDocument, Statement
from mlops_spec.plan.iam import RolePlan, role
from tests.conftest import ROOT
from tests.plan.conftest import instances

ACCOUNT_ID = "123456789012"
KEY_ARN = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/" + "0" * 36


def encoded_size(role: RolePlan) -> int:
    """What IAM counts, the slow way: the canonical JSON text, whitespace dropped, the name
    added, placeholders at their longest."""
    text = json.dumps(role.policy.to_dict(), sort_keys=True, separators=(",", ":"))
    return (
        len(text)
        - text.count(" ")
        + len(role.key)
        + text.count("${account}") * (len(ACCOUNT_ID) - len("${account}"))
        + text.count("${key_arn}") * (len(KEY_ARN) - len("${key_arn}"))
    )


def encoded_length(policy: PolicyDocument) -> int:
    return len(json.dumps(policy.to_dict(), sort_keys=True, separators=(",", ":")))


def _check_plan(deployment: DeploymentPlan) -> int:
    roles = [r for _, r in _roles(deployment)]
    assert roles
    for r in roles:
        assert policy_size.policy_size(r) == encoded_size(r), r.name
    documents = list(instances(deployment, PolicyDocument))
    for document in documents:
        assert policy_size.json_length(document)[0] == encoded_length(document)
    return len(documents)


def test_every_example_and_all_tiers_stack(all_plans: dict[str, DeploymentPlan]) -> None:
    for deployment in all_plans.values():
        _check_plan(deployment)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_estate(stack: str) -> None:
    _check_plan(plan(resolve(ROOT / "tests/components/specs/estate.yaml", stack)))


def test_two_hundred_generated_models(tmp_path: Path) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(generate(200))
    deployment = plan(resolve(spec, "prod"))
    assert len(deployment.training) == 200
    assert _check_plan(deployment) > 2 * 200  # trusts and policies of every model's roles


def _role(*statements: Statement) -> RolePlan:
    return role("deploy", "s-prod-deploy", "lambda.amazonaws.com", "d", statements)


def _policy(*statements: Statement) -> PolicyDocument:
    return PolicyDocument(statements)


ODD = [
    Statement("é", ("s3:Get\u00e9",), ("arn:aws:s3:::b/caf\u00e9 ${account}",)),
    Statement('q"uote', ('a"b',), ('r"${key_arn}"',)),
    Statement("back\\slash", ("a\\b",), ("\\${account}\\", "c:\\\\d")),
    Statement("ctl\n\t\x00\x1f\x7f", ("a\rb\x08\x0c",), ("x\x01${account}\x02",)),
    Statement("astral\U0001f600", ("\U0001f600 a",), ("\ud800", "\U0010ffff")),
    Statement("${acc", ("ount}",), ("${key_", "arn}")),  # no placeholder across strings
    Statement("A", ("a",), ("${account}${account}${key_arn}",)),
    Statement("sp ace", ("a b",), ("  ", " ${account} ")),
    Statement("Empty", ("",), ("",)),
    Statement("NoResources", ("sts:AssumeRole",), (), principals=(("Service", "x y"),)),
    Statement("Star", ("a", "b"), ("*",), principals=(("*", "*"),)),
    Statement(
        "Grouped",
        ("a",),
        ("r1", "r2", "r3"),
        effect="Deny",
        principals=(("AWS", "arn:1"), ("Service", "s\u00e9"), ("AWS", 'arn:"2'), ("*", "*")),
    ),
    Statement(
        "Conditions",
        ("a",),
        ("r",),
        conditions=(
            Condition("StringEquals", "k1", ("v1",)),
            Condition("StringLike", "k1", ("a", "b\\")),
            Condition("StringEquals", "k2", ("${account}",)),
            Condition("StringEquals", "k1", ("replaced", "by this é")),  # same key: last wins
            Condition("Bool", "k\n", ("true",)),
        ),
    ),
]


@pytest.mark.parametrize("statement", ODD, ids=range(len(ODD)))
def test_statements_json_escapes(statement: Statement) -> None:
    assert policy_size.policy_size(_role(statement)) == encoded_size(_role(statement))
    assert policy_size.json_length(_policy(statement))[0] == encoded_length(_policy(statement))


def test_all_of_them_in_one_policy_and_none() -> None:
    assert policy_size.policy_size(_role(*ODD)) == encoded_size(_role(*ODD))
    assert policy_size.json_length(_policy(*ODD))[0] == encoded_length(_policy(*ODD))
    assert policy_size.json_length(_policy()) == (
        len('{"Statement":[],"Version":"2012-10-17"}'),
        "",
    )
    assert policy_size.policy_size(_role()) == encoded_size(_role())


def test_what_the_types_forbid_counts_or_fails_as_the_encoder_does() -> None:
    numbers = Statement("N", ("a",), ("r",), conditions=(Condition("NumericLessThan", "k", (3,)),))  # type: ignore[arg-type]
    assert policy_size.policy_size(_role(numbers)) == encoded_size(_role(numbers))
    for broken in (
        Statement("NoAction", (), ("r",)),
        Statement("NoValue", ("a",), ("r",), conditions=(Condition("Bool", "k", ()),)),
    ):
        with pytest.raises(IndexError):
            policy_size.policy_size(_role(broken))


TEXT = st.lists(
    st.one_of(
        st.sampled_from(['"', "\\", " ", "\n", "\x00", "\x1f", "\x7f", "é", "\U0001f600", ","]),
        st.sampled_from(["${account}", "${key_arn}", "${", "}", "arn:aws:s3:::", "*"]),
        st.characters(),
    ),
    max_size=8,
).map("".join)
"""Text with what JSON escapes, placeholders and pieces of them."""
TEXTS = st.lists(TEXT, min_size=1, max_size=4).map(tuple)
CONDITIONS = st.lists(
    st.builds(
        Condition, st.one_of(st.sampled_from(["StringEquals", "ArnLike"]), TEXT), TEXT, TEXTS
    ),
    max_size=4,
).map(tuple)
PRINCIPALS = st.one_of(
    st.just((("*", "*"),)),
    st.lists(
        st.tuples(st.one_of(st.sampled_from(["AWS", "Service", "*"]), TEXT), TEXT), max_size=4
    ).map(tuple),
)
STATEMENTS = st.builds(
    Statement,
    sid=TEXT,
    actions=TEXTS,
    resources=st.lists(TEXT, max_size=4).map(tuple),
    effect=st.sampled_from(["Allow", "Deny"]),
    conditions=CONDITIONS,
    principals=PRINCIPALS,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(STATEMENTS, max_size=5))
def test_any_statements(statements: list[Statement]) -> None:
    document = PolicyDocument(tuple(statements))
    assert policy_size.json_length(document)[0] == encoded_length(document)
    one = RolePlan("k", "n", "s", "d", document, document)
    assert policy_size.policy_size(one) == encoded_size(one)
