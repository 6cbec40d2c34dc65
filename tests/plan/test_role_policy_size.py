"""Every role policy the planner renders fits IAM's inline-policy limit (10,240 characters,
whitespace excluded, per role): a deploy role over it failed ``pulumi up`` after ``mlops
validate`` said ✓. The deploy function names each endpoint while that fits and the stack's
name prefix when it does not (the 50-model estate)."""

from __future__ import annotations

import fnmatch

import pytest

from mlops_spec.errors import SpecError
from mlops_spec.load import resolve, validate_document
from mlops_spec.plan import DeploymentPlan, plan, policy_size
from mlops_spec.plan.documents import Condition, Statement
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.iam import RolePlan, role
from mlops_spec.yamlio import read
from tests.conftest import ROOT
from tests.plan.conftest import example

ESTATE = ROOT / "tests/components/specs/estate.yaml"
REGION = "arn:aws:sagemaker:eu-west-1:${account}"


def _role(*statements: Statement) -> RolePlan:
    return role("deploy", "s-prod-deploy", "lambda.amazonaws.com", "d", statements)


def _deploy(deployment: DeploymentPlan) -> RolePlan:
    assert deployment.retraining is not None
    function = deployment.retraining.function("deploy")
    assert function is not None
    return function.role


def test_the_size_is_what_iam_counts() -> None:
    one = _role(Statement("A", ("s3:GetObject",), ("arn:aws:s3:::${account}-b/*",)))
    text = (
        '{"Statement":[{"Action":"s3:GetObject","Effect":"Allow",'
        '"Resource":"arn:aws:s3:::000000000000-b/*","Sid":"A"}],"Version":"2012-10-17"}'
    )
    assert policy_size.policy_size(one) == len(text) + len("deploy")
    spaced = _role(Statement("A", ("s3:GetObject",), ("arn:aws:s3:::${account}-b/a b c*",)))
    assert policy_size.policy_size(spaced) == policy_size.policy_size(one) + 3  # "abc", no spaces


def test_a_role_over_the_limit_is_a_located_error() -> None:
    arns = tuple(f"{REGION}:endpoint/s-prod-model-{i:03d}" for i in range(200))
    big = _role(Statement("ServeModel", ("sagemaker:UpdateEndpoint",), arns))
    assert not policy_size.fits(big)
    with pytest.raises(PlanError) as error:
        policy_size.check_role(big, ("models",), "Split the system.")
    assert error.value.loc == ("models",)
    size = policy_size.policy_size(big)
    assert size > 10_240
    assert f"s-prod-deploy would carry a {size}-character inline policy" in error.value.message
    assert "IAM allows 10240 characters" in error.value.message
    assert error.value.message.endswith("Split the system.")


def test_merging_keeps_the_same_grants_in_one_statement() -> None:
    def listing(prefix: str) -> Statement:
        condition = Condition("StringLike", "s3:prefix", (prefix,))
        return Statement(
            "ListData", ("s3:ListBucket",), ("arn:aws:s3:::b",), conditions=(condition,)
        )

    serve = [Statement("ServeModel", ("sagemaker:UpdateEndpoint",), (f"e/{n}",)) for n in "aba"]

    def anded(value: str) -> Statement:  # two keys, ANDed: merging values would widen
        conditions = (
            Condition("StringEquals", "k1", (value,)),
            Condition("StringEquals", "k2", ("y",)),
        )
        return Statement("Scale", ("a:B",), ("*",), conditions=conditions)

    assert policy_size.merge_statements([anded("x"), anded("z")]) == (anded("x"), anded("z"))
    merged = policy_size.merge_statements([*serve, listing("m/a/*"), listing("m/b/*")])
    assert merged == (
        Statement("ServeModel", ("sagemaker:UpdateEndpoint",), ("e/a", "e/b")),
        Statement(
            "ListData",
            ("s3:ListBucket",),
            ("arn:aws:s3:::b",),
            conditions=(Condition("StringLike", "s3:prefix", ("m/a/*", "m/b/*")),),
        ),
    )


def test_churn_keeps_its_statements_per_endpoint() -> None:
    statements = {s.sid: s for s in _deploy(example("churn", "prod")).policy.statements}
    assert statements["ServeModel"].resources == (
        f"{REGION}:endpoint/churn-prod-churn-classifier",
        f"{REGION}:endpoint-config/churn-prod-churn-classifier-*",
        f"{REGION}:model/churn-prod-churn-classifier-*",
    )
    assert statements["PassRole"].resources == (
        "arn:aws:iam::${account}:role/churn-prod-churn-classifier-serve",
    )


@pytest.fixture(scope="module")
def estate_prod() -> DeploymentPlan:
    return plan(resolve(ESTATE, "prod"))


def test_the_estate_deploy_role_fits_by_the_stack_prefix(estate_prod: DeploymentPlan) -> None:
    deploy = _deploy(estate_prod)
    assert policy_size.policy_size(deploy) <= policy_size.INLINE_POLICIES_LIMIT
    statements = {s.sid: s for s in deploy.policy.statements}
    assert statements["ServeModel"].resources == (
        f"{REGION}:endpoint/estate-prod-*",
        f"{REGION}:endpoint-config/estate-prod-*",
        f"{REGION}:model/estate-prod-*",
    )
    assert statements["ReadPackages"].resources == (
        f"{REGION}:model-package-group/estate-prod-*",
        f"{REGION}:model-package/estate-prod-*/*",
    )
    assert statements["PassRole"].resources == ("arn:aws:iam::${account}:role/estate-prod-*-serve",)
    assert statements["ReadRollbackAlarms"].resources == (
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:estate-prod-*",
    )


def test_the_prefix_grants_cover_every_endpoint_grant(
    estate_prod: DeploymentPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the function touches per endpoint (the by-name grants, built here by pretending
    they fit) is matched by the prefix grants: same Sids and actions, each resource covered."""
    prefix = {s.sid: s for s in _deploy(estate_prod).policy.statements}
    monkeypatch.setattr(policy_size, "fits", lambda role: True)
    monkeypatch.setattr(policy_size, "check_roles", lambda deployment: None)
    monkeypatch.setattr(policy_size, "check_role", lambda *args: None)
    exact = _deploy(plan(resolve(ESTATE, "prod"))).policy.statements
    assert len({s.sid for s in exact}) == len(exact) == len(prefix)  # merged per Sid
    endpoints = [
        s.endpoint.name
        for s in estate_prod.serving
        if s.endpoint and s.endpoint.owner == "deploy-function"
    ]
    assert len(endpoints) == 20
    serve = next(s for s in exact if s.sid == "ServeModel")
    assert len(serve.resources) == 3 * len(endpoints)
    for statement in exact:
        wide = prefix[statement.sid]
        assert wide.actions == statement.actions and wide.effect == statement.effect
        for resource in statement.resources:
            assert any(fnmatch.fnmatchcase(resource, w) for w in wide.resources), resource
        for narrow, broad in zip(statement.conditions, wide.conditions, strict=True):
            assert (narrow.operator, narrow.key) == (broad.operator, broad.key)
            for value in narrow.values:
                assert any(fnmatch.fnmatchcase(value, b) for b in broad.values), value


def test_a_spec_over_the_limit_even_by_prefix_is_a_located_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Synthetic: a limit below what the prefix grants need (churn's deploy role is ~5,000)."""
    monkeypatch.setattr(policy_size, "INLINE_POLICIES_LIMIT", 3_000)
    path = ROOT / "examples/churn/mlops.yaml"
    with pytest.raises(SpecError) as error:
        validate_document(read(path), "prod")
    (problem,) = [p for p in error.value.problems if "churn-prod-deploy" in p.message]
    assert problem.loc[-1] == "models" and problem.line is not None
    assert "IAM allows 3000 characters" in problem.message
    assert "split the system into fewer models per spec" in problem.message
