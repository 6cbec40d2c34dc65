"""Registry plan: one model package group per model, shared read-only with other accounts."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.models import ResolvedSpec
from mlops_spec.naming import Names
from mlops_spec.plan.documents import PolicyDocument, Statement
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.training import package_arns

READ_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)


@dataclass(frozen=True)
class PackageGroupPlan:
    """A model package group; ``policy`` only when other accounts may read it."""

    model: str
    name: str
    arn: str
    description: str
    retain: bool
    cross_account_readers: tuple[str, ...]
    policy: PolicyDocument | None


@dataclass(frozen=True)
class RegistryPlan:
    groups: tuple[PackageGroupPlan, ...]

    def group(self, model: str) -> PackageGroupPlan:
        return next(g for g in self.groups if g.model == model)


def plan_registry(
    resolved: ResolvedSpec, names: Names, policy: EnvironmentPolicy, partition: str
) -> RegistryPlan:
    region = resolved.spec.system.region
    groups = []
    for model_id, model in sorted(resolved.spec.models.items()):
        name = names.model_package_group(model_id)
        group_arn, packages = package_arns(partition, region, name)
        readers = tuple(sorted(model.registry.cross_account_read_accounts))
        document = None
        if readers:
            document = PolicyDocument(
                (
                    Statement(
                        sid="CrossAccountRead",
                        principals=tuple(
                            ("AWS", f"arn:{partition}:iam::{a}:root") for a in readers
                        ),
                        actions=READ_ACTIONS,
                        resources=(group_arn, packages),
                    ),
                )
            )
        # ForceNew: a moved model keeps the default description of its former id.
        description = model.description or f"Candidates of {names.kept_model(model_id)}"
        groups.append(
            PackageGroupPlan(
                model=model_id,
                name=name,
                arn=group_arn,
                description=description[:1024],
                retain=policy.protect,
                cross_account_readers=readers,
                policy=document,
            )
        )
    return RegistryPlan(tuple(groups))
