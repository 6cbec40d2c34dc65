"""Registry alone: one model package group per model of a minimal spec (model ``mm``).

A package group has no encryption setting of its own (the provider's ModelPackageGroup takes
a name, a description and tags); the packages' artifacts live in the KMS-encrypted buckets.
"""

from __future__ import annotations

import pytest

from mlops_components import Registry, RegistryArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import Match, Template, build, sources
from tests.plan.conftest import PROD, mini

GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"


def registry(plan: DeploymentPlan) -> Template:
    return build(plan, lambda ctx: Registry("registry", RegistryArgs(plan.registry, ctx)))


@pytest.fixture(scope="module")
def dev() -> Template:
    return registry(mini())


def test_one_group_named_system_stack_model(dev: Template) -> None:
    dev.resource_count_is(GROUP, 1)
    dev.has_resource_properties(GROUP, {"modelPackageGroupName": "mini-dev-mm"})


def test_the_group_is_described_by_the_model_s_description() -> None:
    template = registry(mini(description="Churn propensity, weekly"))
    template.has_resource_properties(
        GROUP, {"modelPackageGroupDescription": "Churn propensity, weekly"}
    )


def test_without_a_description_the_group_names_its_model(dev: Template) -> None:
    dev.has_resource_properties(GROUP, {"modelPackageGroupDescription": "Candidates of mm"})


def test_the_group_carries_the_system_tags(dev: Template) -> None:
    dev.has_resource_properties(
        GROUP,
        {
            "tags": {
                "system": "mini",
                "environment": "dev",
                "owner": "owner@example.com",
                "managed-by": "mlops-spec",
            }
        },
    )


def test_no_resource_policy_without_cross_account_readers(dev: Template) -> None:
    dev.resource_count_is(GROUP_POLICY, 0)


def test_cross_account_readers_may_only_read_the_group() -> None:
    template = registry(mini(registry={"cross_account_read_accounts": ["210987654321"]}))
    policy = template.has_resource_properties(
        GROUP_POLICY,
        {
            "modelPackageGroupName": "mini-dev-mm",
            "resourcePolicy": Match.json(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                            "Action": [
                                "sagemaker:DescribeModelPackage",
                                "sagemaker:DescribeModelPackageGroup",
                                "sagemaker:ListModelPackages",
                            ],
                        }
                    ]
                }
            ),
        },
    )
    assert sources(policy, "modelPackageGroupName") == ["mm-packages"]


def test_production_protects_and_retains_the_group() -> None:
    registry(mini(settings=PROD)).has_resource(GROUP, {"protect": True, "retain_on_delete": True})


def test_development_lets_destroy_delete_the_group(dev: Template) -> None:
    dev.has_resource(GROUP, {"protect": False, "retain_on_delete": False})
