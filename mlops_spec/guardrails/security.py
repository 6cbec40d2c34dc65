"""Security rules for every stack: KMS on every store, no public bucket, no ``*`` IAM action,
cost-attribution tags."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mlops_spec.guardrails.stack import COMPUTED, Resource, Stack, is_set, parse_json

BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ACL = "aws:s3/bucketAclV2:BucketAclV2"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
KEY_INPUTS: dict[str, str] = {
    "aws:sqs/queue:Queue": "kmsMasterKeyId",
    "aws:sns/topic:Topic": "kmsMasterKeyId",
    "aws:cloudwatch/logGroup:LogGroup": "kmsKeyId",
    "aws:s3/bucketObjectv2:BucketObjectv2": "kmsKeyId",
    "aws:sagemaker/featureGroup:FeatureGroup": "offlineStoreConfig.s3StorageConfig.kmsKeyId",
}
"""Per store type, the input naming its KMS key (buckets, tables, repositories and endpoint
configurations are checked apart)."""
IDENTITY_POLICIES: dict[str, str] = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
POLICY_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
BROAD_MANAGED = re.compile(
    r"^arn:[\w-]+:iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|\w*FullAccess)$"
)
"""AWS managed policies that allow ``*`` or ``<service>:*``."""
COST_TAGS = ("system", "environment", "owner")
TAGGABLE = frozenset(
    {
        "aws:appautoscaling/target:Target",
        "aws:cloudwatch/compositeAlarm:CompositeAlarm",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:dynamodb/table:Table",
        "aws:ecr/repository:Repository",
        "aws:iam/role:Role",
        "aws:kms/key:Key",
        "aws:lambda/function:Function",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "aws:sagemaker/endpoint:Endpoint",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:sagemaker/featureGroup:FeatureGroup",
        "aws:sagemaker/model:Model",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        "aws:sagemaker/pipeline:Pipeline",
        "aws:sns/topic:Topic",
        "aws:sqs/queue:Queue",
    }
)
"""Resource types that take tags and that a stack of this project creates."""


def _bucket_encryption(stack: Stack, bucket: Resource) -> str | None:
    configs = stack.linked(ENCRYPTION, bucket)
    rules = [rule for config in configs for rule in config.inputs.get("rules") or ()]
    inline = bucket.get("serverSideEncryptionConfiguration.rule")
    rules += [inline] if isinstance(inline, Mapping) else []
    algorithms = {
        (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
        for rule in rules
        if isinstance(rule, Mapping)
    }
    if not algorithms:
        return "no default encryption configured (expected SSE-KMS with the system key)"
    allowed = {*KMS_ALGORITHMS, COMPUTED}
    if stack.linked(BUCKET_LOGGING, bucket, "targetBucket"):
        allowed.add("AES256")  # S3 server access logging delivers only to SSE-S3 buckets
    if not algorithms <= allowed:
        return f"default encryption is {sorted(map(str, algorithms))}, not aws:kms"
    return None


def _endpoint_config_keys(config: Resource) -> Iterator[str]:
    variants = config.inputs.get("productionVariants") or ()
    if any("instanceType" in v for v in variants) and not is_set(config.inputs.get("kmsKeyArn")):
        yield "instance storage of the endpoint is not encrypted with a KMS key (kmsKeyArn)"
    capture = config.inputs.get("dataCaptureConfig") or {}
    if capture.get("enableCapture", True) and capture and not is_set(capture.get("kmsKeyId")):
        yield "captured inferences are not encrypted with a KMS key (dataCaptureConfig.kmsKeyId)"


def _other_store(resource: Resource) -> str | None:
    if resource.type == "aws:dynamodb/table:Table":
        if resource.get("serverSideEncryption.enabled") not in (True, COMPUTED):
            return "server-side encryption with KMS is off (serverSideEncryption.enabled)"
        if not is_set(resource.get("serverSideEncryption.kmsKeyArn")):
            return "encrypted with the AWS managed key, not the system key (kmsKeyArn)"
    if resource.type == "aws:ecr/repository:Repository":
        kinds = [
            c.get("encryptionType") for c in resource.inputs.get("encryptionConfigurations") or ()
        ]
        if "KMS" not in kinds:
            return "images are not encrypted with a KMS key (encryptionConfigurations)"
    return None


def kms_everywhere(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Every store is encrypted with a KMS key."""
    for bucket in stack.of_type(BUCKET):
        if (problem := _bucket_encryption(stack, bucket)) is not None:
            yield bucket, problem
    for resource in stack.resources:
        path = KEY_INPUTS.get(resource.type)
        if path is not None and not is_set(resource.get(path)):
            yield resource, f"not encrypted with a KMS key ({path} is not set)"
        if (problem := _other_store(resource)) is not None:
            yield resource, problem
    for config in stack.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration"):
        for problem in _endpoint_config_keys(config):
            yield config, problem
    for function, name, target in (*stack.deploy_endpoints(), *stack.pinned_endpoints()):
        if target.get("instance_type") and not is_set(target.get("kms_key_id")):
            yield function, f"endpoint {name}: instance storage has no KMS key (kms_key_id)"
        capture = target.get("data_capture")
        if isinstance(capture, Mapping) and not is_set(capture.get("kms_key_id")):
            yield function, f"endpoint {name}: captured inferences have no KMS key"


def _principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        values = principal.get("AWS")
        values = values if isinstance(values, list) else [values]
        return "*" in values
    return False


def no_public_bucket(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Public access blocked on every bucket; no policy or ACL opens one."""
    for bucket in stack.of_type(BUCKET):
        blocks = stack.linked(PUBLIC_ACCESS_BLOCK, bucket)
        if not blocks:
            yield bucket, "no public access block"
        for block in blocks:
            off = [name for name in BLOCKS if block.inputs.get(name) is not True]
            if off:
                yield block, f"public access block of {bucket.label} leaves {', '.join(off)} off"
        acl = bucket.inputs.get("acl")
        for acl_resource in stack.linked(BUCKET_ACL, bucket):
            acl = acl_resource.inputs.get("acl") or acl
        if acl in PUBLIC_ACLS:
            yield bucket, f"canned ACL {acl} makes it public"
    for policy in stack.of_type(BUCKET_POLICY):
        document = policy.json_input("policy") or {}
        for statement in _statements(document):
            if statement.get("Effect") == "Allow" and _principal_is_public(
                statement.get("Principal")
            ):
                sid = statement.get("Sid", "(no Sid)")
                yield policy, f"statement {sid} allows any principal ('*')"


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _wildcards(document: Any) -> Iterator[str]:
    for statement in _statements(document):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        sid = statement.get("Sid", "(no Sid)")
        if "NotAction" in statement:
            yield f"statement {sid} allows NotAction (everything except a list)"
        actions = statement.get("Action") or []
        for action in actions if isinstance(actions, list) else [actions]:
            if action == "*" or (isinstance(action, str) and action.endswith(":*")):
                yield f"statement {sid} allows action {action!r}"


def no_wildcard_action(resource: Resource) -> Iterator[str]:
    """No identity policy allows ``*``, ``<service>:*`` or NotAction."""
    key = IDENTITY_POLICIES.get(resource.type)
    if key is not None:
        yield from _wildcards(parse_json(resource.inputs.get(key)))
    if resource.type == "aws:iam/role:Role":
        for inline in resource.inputs.get("inlinePolicies") or ():
            if isinstance(inline, Mapping):
                yield from _wildcards(parse_json(inline.get("policy")))
        for arn in resource.inputs.get("managedPolicyArns") or ():
            if BROAD_MANAGED.match(str(arn)):
                yield f"attaches {arn}, which allows '*' actions"
    if resource.type in POLICY_ATTACHMENTS:
        arn = str(resource.inputs.get("policyArn", ""))
        if BROAD_MANAGED.match(arn):
            yield f"attaches {arn}, which allows '*' actions"


def cost_tags(resource: Resource) -> Iterator[str]:
    """Every taggable resource carries the cost-attribution tags."""
    if resource.type not in TAGGABLE:
        return
    tags = resource.inputs.get("tags")
    if tags == COMPUTED:
        return
    tags = tags if isinstance(tags, Mapping) else {}
    missing = [key for key in COST_TAGS if not is_set(tags.get(key))]
    if missing:
        yield f"missing cost-attribution tags: {', '.join(missing)}"
