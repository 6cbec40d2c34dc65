"""IAM roles as data, and intent-level grants that add KMS rights where data is encrypted.

Every grant names exact resources. The few statements AWS only accepts with ``Resource: "*"``
are built here and listed in :data:`UNSCOPABLE_ACTIONS` with the reason; those that can only be
scoped to the account and region (``...:alarm:*``) are in :data:`REGION_WIDE_ACTIONS`.

Grants are tuples of frozen statements; those asked for again and again with the same
arguments (role after role reads the same prefixes, uses the same key) are built once and
shared (``documents.shared``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.plan.documents import (
    ACCOUNT,
    KEY_ARN,
    Condition,
    PolicyDocument,
    Statement,
    shared,
    trust_policy,
)

UNSCOPABLE_ACTIONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": "registry-wide token; ECR has no resource-level permission",
    "cloudwatch:PutMetricData": "no resource-level permission; scoped by cloudwatch:namespace",
    "sagemaker:ListModelPackages": "List* calls take no resource; the group is a parameter",
    "application-autoscaling:DescribeScalableTargets": (
        "Describe* calls take no resource; the endpoint variant is a parameter"
    ),
    "application-autoscaling:DescribeScalingPolicies": (
        "Describe* calls take no resource; the endpoint variant is a parameter"
    ),
    **{
        action: "EC2 Describe* calls take no resource; SageMaker reads the VPC of a training "
        "job pulling from a private registry (mlops_spec.plan.images)"
        for action in (
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
        )
    },
}
"""Actions that only work with ``Resource: "*"`` and why (checked by the tests)."""

REGION_WIDE_ACTIONS: dict[str, str] = {
    **{
        action: "a training job's network interfaces get ids when SageMaker creates them; "
        "their creation is limited to the declared subnets and security groups"
        for action in (
            "ec2:CreateNetworkInterface",
            "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission",
        )
    },
    "application-autoscaling:RegisterScalableTarget": (
        "scalable targets get an opaque id when registered, so their ARN is not known in "
        "advance; the endpoint variant is a request parameter"
    ),
    "application-autoscaling:PutScalingPolicy": (
        "the policy's scalable target has an opaque id (as for RegisterScalableTarget)"
    ),
    "application-autoscaling:DeleteScalingPolicy": (
        "the policy's scalable target has an opaque id (as for RegisterScalableTarget); the "
        "deploy function removes the policies before an instance-type change"
    ),
    "application-autoscaling:DeregisterScalableTarget": (
        "the scalable target has an opaque id (as for RegisterScalableTarget); the deploy "
        "function deregisters it before an instance-type change"
    ),
    "cloudwatch:DescribeAlarms": (
        "Application Auto Scaling validates the caller's CloudWatch rights before it registers "
        "a target, with DescribeAlarms MaxRecords=1 (no alarm named); read-only"
    ),
    "kms:Decrypt": (
        "reading a SecureString parameter decrypts it with the AWS managed key alias/aws/ssm, "
        "whose key id is not known in advance; only through SSM (kms:ViaService) and only for "
        "the one parameter (kms:EncryptionContext:PARAMETER_ARN)"
    ),
}
"""Actions granted on every resource of their type in the stack's account and region only
(``arn:...:<region>:<account>:<type>*``), and why (checked by the tests)."""

SCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SCALING_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
"""The service-linked role Application Auto Scaling creates on the first registration of a
SageMaker endpoint variant in an account."""


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
    source_arn: str | None = None,
) -> RolePlan:
    """A role trusted by ``service`` with the union of ``grants`` (Sids made unique);
    ``source_account``/``source_arn``: the trust's confused-deputy guards."""
    statements: list[Statement] = []
    seen: dict[str, int] = {}
    for group in grants:
        for statement in group:
            sid = statement.sid
            count = seen[sid] = seen.get(sid, 0) + 1
            if count == 1 and not statement.principals:
                statements.append(statement)  # the copy below would equal it
                continue
            statements.append(  # positional arguments: a third cheaper, ~19k copies at 200 models
                Statement(
                    sid if count == 1 else f"{sid}{count}",
                    statement.actions,
                    statement.resources,
                    statement.effect,
                    statement.conditions,
                )
            )
    return RolePlan(  # (key, name, service, description, trust, policy)
        key,
        name,
        service,
        description,
        trust_policy(service, source_account=source_account, source_arn=source_arn),
        PolicyDocument(tuple(statements)),
    )


SAGEMAKER = "sagemaker.amazonaws.com"


def sagemaker_role(
    key: str,
    name: str,
    description: str,
    *grants: tuple[Statement, ...],
    partition: str,
    region: str,
) -> RolePlan:
    """A SageMaker execution role whose trust holds only for SageMaker acting for this account
    in this region (``aws:SourceAccount``, ``aws:SourceArn`` ``arn:...:sagemaker:<region>:
    <account>:*``: AWS's confused-deputy guard for SageMaker)."""
    return role(
        key,
        name,
        SAGEMAKER,
        description,
        *grants,
        source_account=True,
        source_arn=f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:*",
    )


# -- grants ------------------------------------------------------------------------------------
@shared
def kms_grant() -> tuple[Statement, ...]:
    """``kms:CreateGrant`` on the system key for AWS resources only: SageMaker creates a grant
    for the jobs (``VolumeKmsKeyId``, output ``KmsKeyId``) and endpoints the caller starts."""
    return (
        Statement(
            sid="GrantKeyToSageMaker",
            actions=("kms:CreateGrant",),
            resources=(KEY_ARN,),
            conditions=(Condition("Bool", "kms:GrantIsForAWSResource", ("true",)),),
        ),
    )


@shared
def kms_use(*, encrypt: bool) -> tuple[Statement, ...]:
    actions: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")
    if encrypt:
        actions += ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
    return (Statement(sid="UseSystemKey", actions=actions, resources=(KEY_ARN,)),)


@shared
def s3_read(bucket_arn: str, prefix: str) -> tuple[Statement, ...]:
    """List and read objects under ``prefix`` (ListBucket limited by ``s3:prefix``)."""
    return (
        Statement(  # (sid, actions, resources, effect, conditions): positional is cheaper
            "ListData",
            ("s3:ListBucket",),
            (bucket_arn,),
            "Allow",
            (Condition("StringLike", "s3:prefix", (f"{prefix}*",)),) if prefix else (),
        ),
        Statement("ReadData", ("s3:GetObject",), (f"{bucket_arn}/{prefix}*",)),
    )


def s3_write(bucket_arn: str, prefix: str) -> tuple[Statement, ...]:
    return (
        Statement(
            "WriteData", ("s3:PutObject", "s3:AbortMultipartUpload"), (f"{bucket_arn}/{prefix}*",)
        ),
    )


@shared
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


@shared
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


@shared
def put_metrics(namespace: str) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="PutMetrics",
            actions=("cloudwatch:PutMetricData",),
            resources=("*",),
            conditions=(Condition("StringEquals", "cloudwatch:namespace", (namespace,)),),
        ),
    )


ENDPOINT_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints"
"""Where a real-time endpoint's instances publish their metrics (CPUUtilization,
MemoryUtilization, DiskUtilization, ...) with the endpoint's execution role."""


def endpoint_instance_metrics() -> tuple[Statement, ...]:
    """Publish the endpoint instances' metrics: without ``cloudwatch:PutMetricData`` in
    ``/aws/sagemaker/Endpoints`` the CPU, memory and disk alarms (some roll deployments back)
    never get a datapoint."""
    return (
        Statement(
            sid="EndpointInstanceMetrics",
            actions=("cloudwatch:PutMetricData",),
            resources=("*",),
            conditions=(
                Condition("StringEquals", "cloudwatch:namespace", (ENDPOINT_METRICS_NAMESPACE,)),
            ),
        ),
    )


def describe_alarms(partition: str, region: str, names: tuple[str, ...]) -> tuple[Statement, ...]:
    """``cloudwatch:DescribeAlarms`` on exactly these alarms (an endpoint's execution role
    reads its auto-rollback alarms during a blue/green deployment)."""
    if not names:
        return ()
    return (
        Statement(
            sid="ReadRollbackAlarms",
            actions=("cloudwatch:DescribeAlarms",),
            resources=tuple(
                f"arn:{partition}:cloudwatch:{region}:{ACCOUNT}:alarm:{name}" for name in names
            ),
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


def invoke_functions(function_arns: tuple[str, ...]) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="InvokeFunctions", actions=("lambda:InvokeFunction",), resources=function_arns
        ),
    )


SCALING_NAMESPACE = "sagemaker"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def endpoint_autoscaling(
    partition: str,
    region: str,
    *,
    register: bool = True,
    endpoints: tuple[str, ...] = (),
    variant: str = "AllTraffic",
) -> tuple[Statement, ...]:
    """Take a SageMaker endpoint variant's autoscaling off (describe, delete its policies,
    deregister its target: the deploy function does so before an instance-type change of any
    instance-based endpoint) and, with ``register``, register target tracking for it.

    The Application Auto Scaling writes hold only for SageMaker endpoint variants
    (``application-autoscaling:service-namespace`` = ``sagemaker`` and
    ``application-autoscaling:scalable-dimension`` = the variant's instance count). Besides its
    own actions, Application Auto Scaling requires the caller to hold
    ``sagemaker:DescribeEndpoint``, ``DescribeEndpointConfig`` and
    ``UpdateEndpointWeightsAndCapacities`` on the endpoint (granted per endpoint) and the
    CloudWatch alarm actions below, and to be able to create its service-linked role the first
    time (AWS, "Application Auto Scaling identity-based policy examples"). It checks the
    CloudWatch ones by calling ``PutMetricAlarm`` and ``DeleteAlarms`` without parameters and
    ``DescribeAlarms`` with ``MaxRecords=1`` (AWS, "Permissions validation for API calls on
    target resources"); the target-tracking alarms themselves are created by its
    service-linked role. Alarm writes are therefore limited to ``endpoints``' target-tracking
    alarms (``TargetTracking-endpoint/<endpoint>/variant/<variant>-*``) and the nameless
    request (``alarm:`` with no name): never the system's own alarms, which Pulumi owns and
    some of which roll deployments back.
    """

    statements = _scaling_statements(partition, region, register)
    if not register:
        return statements
    return (*statements, *_scaling_alarm_statements(partition, region, endpoints, variant))


def _scoped(partition: str, region: str, service: str, resource: str) -> str:
    return f"arn:{partition}:{service}:{region}:{ACCOUNT}:{resource}"


def _scaling_statements(partition: str, region: str, register: bool) -> tuple[Statement, ...]:
    """Application Auto Scaling writes for SageMaker endpoint variants only, and its reads."""
    actions = [
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
    ]
    if register:
        actions += [
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:RegisterScalableTarget",
        ]
    return (
        Statement(
            sid="RegisterScaling" if register else "RemoveScaling",
            actions=tuple(actions),
            resources=(_scoped(partition, region, "application-autoscaling", "scalable-target/*"),),
            conditions=(
                Condition(
                    "StringEquals",
                    "application-autoscaling:service-namespace",
                    (SCALING_NAMESPACE,),
                ),
                Condition(
                    "StringEquals",
                    "application-autoscaling:scalable-dimension",
                    (SCALABLE_DIMENSION,),
                ),
            ),
        ),
        Statement(
            sid="DescribeScaling",
            actions=(
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
            ),
            resources=("*",),
        ),
    )


def _scaling_alarm_statements(
    partition: str, region: str, endpoints: tuple[str, ...], variant: str
) -> tuple[Statement, ...]:
    """What registering target tracking needs besides Application Auto Scaling's own rights:
    its alarm checks, alarm reads and its service-linked role."""
    alarms = (
        *(
            _scoped(
                partition,
                region,
                "cloudwatch",
                f"alarm:TargetTracking-endpoint/{name}/variant/{variant}-*",
            )
            for name in endpoints
        ),
        _scoped(partition, region, "cloudwatch", "alarm:"),  # the validation call naming none
    )
    return (
        Statement(
            sid="ScalingAlarmChecks",
            actions=("cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"),
            resources=alarms,
        ),
        Statement(
            sid="ScalingAlarmReads",
            actions=("cloudwatch:DescribeAlarms",),
            resources=(_scoped(partition, region, "cloudwatch", "alarm:*"),),
        ),
        Statement(
            sid="CreateScalingRole",
            actions=("iam:CreateServiceLinkedRole",),
            resources=(
                f"arn:{partition}:iam::{ACCOUNT}:role/aws-service-role/{SCALING_SERVICE}/"
                f"{SCALING_ROLE}",
            ),
            conditions=(Condition("StringEquals", "iam:AWSServiceName", (SCALING_SERVICE,)),),
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


def read_secure_parameter(partition: str, region: str, name: str) -> tuple[Statement, ...]:
    """Read the SSM SecureString parameter ``name`` (a name starting with '/') with decryption.

    SSM decrypts with the parameter's KMS key (by default the AWS managed ``alias/aws/ssm``,
    whose ARN is not known in advance) on the caller's behalf: ``kms:Decrypt`` on the account's
    keys in this region, only via SSM and only with this parameter's ARN as encryption context.
    """
    arn = parameter_arn(partition, region, name)
    return (
        Statement(sid="ReadParameter", actions=("ssm:GetParameter",), resources=(arn,)),
        Statement(
            sid="DecryptParameter",
            actions=("kms:Decrypt",),
            resources=(f"arn:{partition}:kms:{region}:{ACCOUNT}:key/*",),
            conditions=(
                Condition("StringEquals", "kms:ViaService", (f"ssm.{region}.amazonaws.com",)),
                Condition("StringEquals", "kms:EncryptionContext:PARAMETER_ARN", (arn,)),
            ),
        ),
    )


def parameter_arn(partition: str, region: str, name: str) -> str:
    """The ARN of SSM parameter ``name`` ('/a/b' -> '...:parameter/a/b')."""
    return f"arn:{partition}:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}"
