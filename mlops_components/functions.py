"""A runtime Lambda function from a :class:`FunctionPlan`: its role, its log group, the function.

Every function runs ``mlops_runtime`` (the code is an asset archive of the package; the Lambda
runtime brings boto3), reads its configuration from one object in the artifacts bucket (uploaded
here like the Processing steps' configuration files: SSE-KMS with the system key; the bucket is
versioned), whose URI and version id are all its environment holds (a new version of the object
updates the function, so a cold start reads exactly the configuration deployed with it), logs JSON to its own KMS-encrypted log group (retention from the environment,
protected and retained where stateful resources are), sends failed asynchronous
invocations to a dead-letter queue, and reserves the concurrency its plan gives it (the deploy
function runs one invocation at a time).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from mlops_components.code import source_archive, upload_config_files
from mlops_components.refs import StackContext, child
from mlops_components.roles import create_role
from mlops_runtime.contract.config import OBJECT_ENV_VAR, VERSION_ENV_VAR
from mlops_spec.plan.retraining import LAMBDA_RUNTIME, FunctionPlan

LAMBDA_PACKAGES = ("mlops_runtime",)
"""What a function's code archive holds."""


def lambda_code() -> pulumi.AssetArchive:
    """The code of every runtime function."""
    return source_archive(LAMBDA_PACKAGES)


def create_log_group(
    parent: pulumi.Resource, logical_name: str, name: str, context: StackContext
) -> aws.cloudwatch.LogGroup:
    """A log group the stack owns: the system key, the environment's retention, protected and
    retained in production like the other stateful resources."""
    return aws.cloudwatch.LogGroup(
        logical_name,
        name=name,
        retention_in_days=context.policy.log_retention_days,
        kms_key_id=context.refs.key_arn,
        tags=context.policy.tag_map,
        # CloudWatch Logs checks the key policy (Storage) when the group is created.
        opts=child(parent, retain=context.policy.protect, depends_on=list(context.depends_on)),
    )


def create_function(
    parent: pulumi.Resource,
    prefix: str,
    plan: FunctionPlan,
    context: StackContext,
    *,
    code: pulumi.AssetArchive,
    dead_letter_arn: pulumi.Input[str],
) -> aws.lambda_.Function:
    """``<prefix>-<key>`` with its role (``<prefix>-<key>-<key>-role``/``-policy``), log
    group (``<prefix>-<key>-logs``) and configuration object (``<prefix>-config-<key>``), all
    children of ``parent``."""
    tags, refs = context.policy.tag_map, context.refs
    role = create_role(parent, f"{prefix}-{plan.key}", plan.role, refs, tags)
    logs = create_log_group(parent, f"{prefix}-{plan.key}-logs", plan.log_group, context)
    (config,) = upload_config_files(parent, prefix, [plan.config_file], context)
    return aws.lambda_.Function(
        f"{prefix}-{plan.key}",
        name=plan.name,
        description=plan.description,
        runtime=LAMBDA_RUNTIME,
        architectures=["arm64"],
        handler=plan.handler,
        code=code,
        role=role.arn,
        timeout=plan.timeout_seconds,
        memory_size=plan.memory_mb,
        reserved_concurrent_executions=plan.reserved_concurrency,
        kms_key_arn=refs.key_arn,
        environment=aws.lambda_.FunctionEnvironmentArgs(
            variables={
                OBJECT_ENV_VAR: plan.config_file.uri,
                VERSION_ENV_VAR: config.version_id,
            }
        ),
        dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=dead_letter_arn),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON", log_group=logs.name
        ),
        tags=tags,
        opts=child(parent, depends_on=[role.policy, logs, *context.depends_on]),
    )
