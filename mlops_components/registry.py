"""Registry: one SageMaker model package group per model (protected in production), with a
resource policy when other accounts may read its packages."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mlops_components.refs import StackContext, child
from mlops_spec.plan import RegistryPlan


@dataclass(frozen=True)
class RegistryArgs:
    plan: RegistryPlan
    context: StackContext


class Registry(pulumi.ComponentResource):
    """Model package groups by model id."""

    group_names: dict[str, pulumi.Output[str]]
    group_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:registry:Registry", name, None, opts)
        self.groups: dict[str, aws.sagemaker.ModelPackageGroup] = {}
        for group in args.plan.groups:
            resource = aws.sagemaker.ModelPackageGroup(
                f"{group.model}-packages",
                model_package_group_name=group.name,
                model_package_group_description=group.description,
                tags=args.context.policy.tag_map,
                opts=child(self, retain=group.retain),
            )
            if group.policy is not None:
                aws.sagemaker.ModelPackageGroupPolicy(
                    f"{group.model}-packages-policy",
                    model_package_group_name=resource.model_package_group_name,
                    resource_policy=args.context.refs.render(group.policy.to_json()),
                    opts=child(self),
                )
            self.groups[group.model] = resource
        self.group_names = {m: g.model_package_group_name for m, g in self.groups.items()}
        self.group_arns = {m: g.arn for m, g in self.groups.items()}
        self.register_outputs({"group_names": self.group_names, "group_arns": self.group_arns})
