"""Stateful resource types, what replacing or deleting them loses, and other lifecycle facts
(data, in one place).

Replacement means delete-and-create: for these types that loses data (objects, keys, tables,
logs, images, registered model versions) or, for endpoints, serving capacity. Which inputs
replace a resource is :mod:`mlops_preview.replacement`'s table, for every type.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_preview.replacement import REPLACE_ON

PINNED_ENDPOINT = "pulumi-python:dynamic/mlops:Endpoint"
TEARDOWN = "pulumi-python:dynamic/mlops:EndpointTeardown"


@dataclass(frozen=True)
class StatefulType:
    """What a resource type holds, and which inputs force its replacement."""

    description: str
    holds: str
    replace_on: frozenset[str]


def _stateful(type_: str, description: str, holds: str) -> tuple[str, StatefulType]:
    return type_, StatefulType(description, holds, frozenset(REPLACE_ON[type_]))


_ENDPOINT_HOLDS = "the traffic it serves (its URL changes)"

STATEFUL_TYPES: dict[str, StatefulType] = dict(
    [
        _stateful("aws:s3/bucket:Bucket", "S3 bucket", "its objects"),
        _stateful("aws:s3/bucketV2:BucketV2", "S3 bucket", "its objects"),
        _stateful("aws:kms/key:Key", "KMS key", "every object encrypted with it"),
        _stateful(
            "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
            "model package group",
            "its registered model versions and approvals",
        ),
        _stateful("aws:sagemaker/endpoint:Endpoint", "SageMaker endpoint", _ENDPOINT_HOLDS),
        _stateful(PINNED_ENDPOINT, "SageMaker endpoint", _ENDPOINT_HOLDS),
        _stateful(
            TEARDOWN,
            "endpoint teardown",
            "every endpoint, endpoint config and model the deploy function created in the stack",
        ),
        _stateful(
            "aws:sagemaker/featureGroup:FeatureGroup",
            "feature group",
            "its online and offline feature records",
        ),
        _stateful("aws:dynamodb/table:Table", "DynamoDB table", "its items"),
        _stateful("aws:cloudwatch/logGroup:LogGroup", "log group", "its log events"),
        _stateful("aws:ecr/repository:Repository", "ECR repository", "its images"),
    ]
)


@dataclass(frozen=True)
class Adoption:
    """A resource of a former type whose successor adopts the same physical resource by name:
    removing the former one from the program would delete what the successor now serves."""

    name_input: str
    successor: str
    successor_input: str
    companions: tuple[str, ...]
    """Former types removed with it, state-deleted in this order before it."""


ADOPTIONS: dict[str, Adoption] = {
    "aws:sagemaker/endpoint:Endpoint": Adoption(
        "name",
        PINNED_ENDPOINT,
        "endpointName",
        (
            "aws:appautoscaling/policy:Policy",
            "aws:appautoscaling/target:Target",
            "aws:sagemaker/endpoint:Endpoint",
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            "aws:sagemaker/model:Model",
        ),
    ),
}
"""Former endpoint resources (pulumi-aws) -> the dynamic resource that adopts the endpoint."""


@dataclass(frozen=True)
class Effect:
    """Something an in-place update does besides writing the changed input."""

    path: str
    when: str
    """Input path that must be set (before or after) for the effect to happen."""
    note: str


EFFECTS: dict[str, tuple[Effect, ...]] = {
    PINNED_ENDPOINT: (
        Effect(
            "target.instance_type",
            "target.autoscaling",
            "re-registers the variant's scalable target: deregistered before the update "
            "(SageMaker refuses an instance-type change of a scalable variant), registered "
            "again once the new fleet serves; no autoscaling during the rollout",
        ),
    ),
}
"""Per type, in-place changes with a side effect worth showing in a diff."""


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
