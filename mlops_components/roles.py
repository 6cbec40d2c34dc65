"""Create an IAM role (and its one inline policy) from a :class:`RolePlan`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mlops_components.refs import Refs, child
from mlops_spec.plan.iam import RolePlan


@dataclass(frozen=True)
class Role:
    """A created role; resources that act through it should depend on ``policy``."""

    role: aws.iam.Role
    policy: aws.iam.RolePolicy

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn


def create_role(
    parent: pulumi.Resource, prefix: str, plan: RolePlan, refs: Refs, tags: Mapping[str, str]
) -> Role:
    """``<prefix>-<key>-role`` and ``<prefix>-<key>-policy``, both children of ``parent``."""
    role = aws.iam.Role(
        f"{prefix}-{plan.key}-role",
        name=plan.name,
        description=plan.description,
        assume_role_policy=refs.render(plan.trust.to_json()),
        tags=dict(tags),
        opts=child(parent),
    )
    policy = aws.iam.RolePolicy(
        f"{prefix}-{plan.key}-policy",
        name=plan.key,
        role=role.id,
        policy=refs.render(plan.policy.to_json()),
        opts=child(parent),
    )
    return Role(role, policy)
