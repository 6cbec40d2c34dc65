"""Security invariants over every role of every plan: no wildcard actions, resources scoped
except for the actions AWS only accepts with "*" (listed with their reasons)."""

from __future__ import annotations

import pytest

from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.iam import UNSCOPABLE_ACTIONS, RolePlan
from tests.plan.conftest import CASE_IDS


def roles_of(deployment: DeploymentPlan) -> list[RolePlan]:
    roles = [t.role for t in deployment.training]
    roles += [t.scheduler_role for t in deployment.training if t.scheduler_role]
    roles += [s.role for s in deployment.serving]
    roles += [j.role for j in deployment.monitoring.jobs]
    if deployment.retraining:
        roles += [f.role for f in deployment.retraining.functions]
    return roles


@pytest.mark.parametrize("case", CASE_IDS)
def test_role_policies_are_least_privilege(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    roles = roles_of(deployment)
    assert len({r.name for r in roles}) == len(roles)
    for role in roles:
        sids = [s.sid for s in role.policy.statements]
        assert len(sids) == len(set(sids)), role.name
        for statement in role.policy.statements:
            assert statement.effect == "Allow" and not statement.principals
            for action in statement.actions:
                assert "*" not in action, (role.name, action)
            if "*" in statement.resources:
                assert statement.resources == ("*",)
                assert set(statement.actions) <= set(UNSCOPABLE_ACTIONS), (role.name, statement)
            for resource in statement.resources:
                if resource != "*":
                    assert resource.startswith("arn:") or resource == "${key_arn}", resource
                    assert resource.split(":", 5)[-1] not in ("*", ""), resource
            if "iam:PassRole" in statement.actions:
                assert statement.conditions[0].key == "iam:PassedToService"


@pytest.mark.parametrize("case", CASE_IDS)
def test_resources_belong_to_this_system(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    prefix = f"{deployment.system}-{deployment.environment}"
    external = {loc.bucket for loc in deployment.storage.data if not loc.managed}
    external |= {"acme-scoring-inputs", "acme-scoring-outputs"}
    for role in roles_of(deployment):
        for statement in role.policy.statements:
            for resource in statement.resources:
                if resource.startswith(
                    (
                        "arn:aws:sagemaker:",
                        "arn:aws:dynamodb:",
                        "arn:aws:sqs:",
                        "arn:aws:lambda:",
                        "arn:aws:iam:",
                    )
                ):
                    name = resource.rsplit(":", 1)[1].split("/", 1)[-1]
                    assert name.startswith((prefix, "pipelines-")), (role.name, resource)
                if resource.startswith("arn:aws:s3:::"):
                    bucket = resource[len("arn:aws:s3:::") :].split("/", 1)[0]
                    assert prefix in bucket or bucket in external, (role.name, resource)


def test_trust_policies_name_one_service() -> None:
    from tests.plan.conftest import full

    services = {r.name: r.service for r in roles_of(full("prod"))}
    assert services["full-prod-rt-train"] == "sagemaker.amazonaws.com"
    assert services["full-prod-rt-scheduler"] == "scheduler.amazonaws.com"
    assert services["full-prod-retrain-trigger"] == "lambda.amazonaws.com"
    for role in roles_of(full("prod")):
        (statement,) = role.trust.statements
        assert statement.principals == (("Service", role.service),)
        assert "Resource" not in statement.to_dict()


def test_unscopable_actions_have_reasons() -> None:
    assert all(reason for reason in UNSCOPABLE_ACTIONS.values())
