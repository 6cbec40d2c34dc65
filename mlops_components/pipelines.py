"""A SageMaker pipeline with its Processing steps' configuration files (shared by the training
and monitoring components)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from mlops_components.code import upload_config_files
from mlops_components.refs import StackContext, child
from mlops_components.roles import Role
from mlops_spec.plan.pipelines import ConfigFile


def create_pipeline(
    parent: pulumi.Resource,
    name: str,
    *,
    role: Role,
    config_files: Sequence[ConfigFile],
    context: StackContext,
    pipeline_name: str,
    display_name: str,
    description: str,
    definition: str,
    job_roles: Sequence[Role] = (),
) -> aws.sagemaker.Pipeline:
    """``<name>-pipeline``, run as ``role``, created after the role's policy, the policies of
    the ``job_roles`` its steps pass to their jobs, its config objects
    (``<name>-config-<step>``) and the stack's shared dependencies."""
    configs = upload_config_files(parent, name, config_files, context)
    policies = [role.policy, *(r.policy for r in job_roles)]
    return aws.sagemaker.Pipeline(
        f"{name}-pipeline",
        pipeline_name=pipeline_name,
        pipeline_display_name=display_name,
        pipeline_description=description,
        pipeline_definition=context.refs.render(definition),
        role_arn=role.arn,
        tags=context.policy.tag_map,
        opts=child(parent, depends_on=[*policies, *configs, *context.depends_on]),
    )
