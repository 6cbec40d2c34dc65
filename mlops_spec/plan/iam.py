"""IAM roles as data, and intent-level grants that add KMS rights where data is encrypted.

Every grant names exact resources. The few statements AWS only accepts with ``Resource: "*"``
are built here and listed in :data:`UNSCOPABLE_ACTIONS` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.plan.documents import (
    ACCOUNT,
    KEY_ARN,
    Condition,
    PolicyDocument,
    Statement,
    trust_policy,
)

UNSCOPABLE_ACTIONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": "registry-wide token; ECR has no resource-level permission",
    "cloudwatch:PutMetricData": "no resource-level permission; scoped by cloudwatch:namespace",
    "sagemaker:ListModelPackages": "List* calls take no resource; the group is a parameter",
}
"""Actions that only work with ``Resource: "*"`` and why (checked by the tests)."""


@dataclass(frozen=True)
class RolePlan:
    """An IAM role: who may assume it and its one inline policy."""

    key: str
    name: str
    service: str
    description: str
    trust: PolicyDocument
    policy: PolicyDocument

    def arn(self, partition: str) -> str:
        return role_arn(partition, self.name)


def role_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::{ACCOUNT}:role/{name}"


def role(
    key: str,
    name: str,
    service: str,
    description: str,
    *grants: tuple[Statement, ...],
    source_account: bool = False,
) -> RolePlan:
    """A role trusted by ``service`` with the union of ``grants`` (Sids made unique)."""
    statements: list[Statement] = []
    seen: dict[str, int] = {}
    for group in grants:
        for statement in group:
            count = seen.get(statement.sid, 0)
            seen[statement.sid] = count + 1
            sid = statement.sid if count == 0 else f"{statement.sid}{count + 1}"
            statements.append(
                Statement(
                    sid=sid,
                    actions=statement.actions,
                    resources=statement.resources,
                    effect=statement.effect,
                    conditions=statement.conditions,
                )
            )
    return RolePlan(
        key=key,
        name=name,
        service=service,
        description=description,
        trust=trust_policy(service, source_account=source_account),
        policy=PolicyDocument(tuple(statements)),
    )


# -- grants ------------------------------------------------------------------------------------
def kms_use(*, encrypt: bool) -> tuple[Statement, ...]:
    actions: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")
    if encrypt:
        actions += ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
    return (Statement(sid="UseSystemKey", actions=actions, resources=(KEY_ARN,)),)


def s3_read(bucket_arn: str, prefix: str) -> tuple[Statement, ...]:
    """List and read objects under ``prefix`` (ListBucket limited by ``s3:prefix``)."""
    list_statement = Statement(
        sid="ListData",
        actions=("s3:ListBucket",),
        resources=(bucket_arn,),
        conditions=(Condition("StringLike", "s3:prefix", (f"{prefix}*",)),) if prefix else (),
    )
    return (
        list_statement,
        Statement(
            sid="ReadData", actions=("s3:GetObject",), resources=(f"{bucket_arn}/{prefix}*",)
        ),
    )


def s3_write(bucket_arn: str, prefix: str) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="WriteData",
            actions=("s3:PutObject", "s3:AbortMultipartUpload"),
            resources=(f"{bucket_arn}/{prefix}*",),
        ),
    )


def ecr_pull(repository_arns: tuple[str, ...]) -> tuple[Statement, ...]:
    if not repository_arns:
        return ()
    return (
        Statement(
            sid="PullImages",
            actions=(
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ),
            resources=repository_arns,
        ),
        Statement(sid="EcrToken", actions=("ecr:GetAuthorizationToken",), resources=("*",)),
    )


def log_writes(log_group_arns: tuple[str, ...]) -> tuple[Statement, ...]:
    """Create streams and put events in exactly these log groups."""
    return (
        Statement(
            sid="WriteLogs",
            actions=(
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ),
            resources=tuple(x for arn in log_group_arns for x in (arn, f"{arn}:log-stream:*")),
        ),
    )


def put_metrics(namespace: str) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="PutMetrics",
            actions=("cloudwatch:PutMetricData",),
            resources=("*",),
            conditions=(Condition("StringEquals", "cloudwatch:namespace", (namespace,)),),
        ),
    )


def pass_role(role_arns: tuple[str, ...], service: str) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="PassRole",
            actions=("iam:PassRole",),
            resources=role_arns,
            conditions=(Condition("StringEquals", "iam:PassedToService", (service,)),),
        ),
    )


def start_pipelines(pipeline_arns: tuple[str, ...]) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="StartPipelines",
            actions=("sagemaker:StartPipelineExecution",),
            resources=pipeline_arns,
        ),
    )


def dynamodb_items(table_arn: str) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="TableItems",
            actions=(
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ),
            resources=(table_arn,),
        ),
    )


def send_messages(queue_arn: str) -> tuple[Statement, ...]:
    return (Statement(sid="DeadLetters", actions=("sqs:SendMessage",), resources=(queue_arn,)),)
