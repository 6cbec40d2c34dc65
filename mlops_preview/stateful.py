"""Stateful AWS resource types and the inputs whose change replaces them (data, in one place).

Replacement means delete-and-create: for these types that loses data (objects, keys, tables,
logs, images, registered model versions) or, for endpoints, serving capacity. The input names
are the engine's camelCase names. Sources: the ``ForceNew: true`` fields of the Terraform AWS
provider that pulumi-aws 7.x bridges (hashicorp/terraform-provider-aws ``internal/service``), plus
``region``, which pulumi-aws 7 exposes on every resource and which always replaces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatefulType:
    """What a resource type holds, and which top-level inputs force its replacement."""

    description: str
    holds: str
    replace_on: frozenset[str]


def _stateful(description: str, holds: str, *replace_on: str) -> StatefulType:
    return StatefulType(description, holds, frozenset({*replace_on, "region"}))


_BUCKET = _stateful("S3 bucket", "its objects", "bucket", "bucketPrefix", "objectLockEnabled")

STATEFUL_TYPES: dict[str, StatefulType] = {
    "aws:s3/bucket:Bucket": _BUCKET,
    "aws:s3/bucketV2:BucketV2": _BUCKET,
    "aws:kms/key:Key": _stateful(
        "KMS key",
        "every object encrypted with it",
        "customerMasterKeySpec",
        "keyUsage",
        "multiRegion",
        "customKeyStoreId",
        "xksKeyId",
    ),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": _stateful(
        "model package group",
        "its registered model versions and approvals",
        "modelPackageGroupName",
        "modelPackageGroupDescription",
    ),
    "aws:sagemaker/endpoint:Endpoint": _stateful(
        "SageMaker endpoint", "the traffic it serves (its URL changes)", "name"
    ),
    "aws:sagemaker/featureGroup:FeatureGroup": _stateful(
        "feature group",
        "its online and offline feature records",
        "featureGroupName",
        "recordIdentifierFeatureName",
        "eventTimeFeatureName",
        "offlineStoreConfig",
        "roleArn",
    ),
    "aws:dynamodb/table:Table": _stateful(
        "DynamoDB table", "its items", "name", "hashKey", "rangeKey", "localSecondaryIndexes"
    ),
    "aws:cloudwatch/logGroup:LogGroup": _stateful(
        "log group", "its log events", "name", "namePrefix", "logGroupClass"
    ),
    "aws:ecr/repository:Repository": _stateful(
        "ECR repository", "its images", "name", "encryptionConfigurations"
    ),
}


def stateful_type(type_: str) -> StatefulType | None:
    """The entry for a resource type, or None when replacing it loses nothing."""
    return STATEFUL_TYPES.get(type_)


@dataclass(frozen=True)
class SafetySetting:
    """An input whose change from ``safe`` weakens a guard (paging, protection, encryption)."""

    path: str
    safe: object
    consequence: str


SAFETY_SETTINGS: dict[str, tuple[SafetySetting, ...]] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        SafetySetting("actionsEnabled", True, "the alarm stops notifying and paging"),
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": (
        SafetySetting("actionsEnabled", True, "the alarm stops notifying and paging"),
    ),
    "aws:kms/key:Key": (SafetySetting("enableKeyRotation", True, "the key is no longer rotated"),),
    "aws:dynamodb/table:Table": (
        SafetySetting("deletionProtectionEnabled", True, "the table can be deleted"),
        SafetySetting("pointInTimeRecovery.enabled", True, "point-in-time recovery is lost"),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": tuple(
        SafetySetting(name, True, "public access to the bucket is no longer blocked")
        for name in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    ),
}
"""Per resource type, inputs that guard something; turning them off is flagged as dangerous."""
