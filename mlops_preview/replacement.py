"""Which inputs replace a resource when they change: one table, per type token.

For pulumi-aws resources the paths are the ``ForceNew: true`` attributes of the Terraform AWS
provider resource that pulumi-aws 7.x bridges (hashicorp/terraform-provider-aws, file named per
type below), in the engine's camelCase input names (pulumi-aws renames a few: a metric alarm's
``alarm_name`` is ``name``, a Lambda function's ``function_name`` is ``name``, a subscription's
``topic_arn`` is ``topic``, a permission's ``function_name`` is ``function``, a model's
``container`` is ``containers``). ``region``, which pulumi-aws 7 adds to every regional resource,
replaces too. A path may name a nested input (``dataCaptureConfig``: Terraform's one-element
lists are objects here); ``[*]`` stands for any element of a list.

A change at ``path`` replaces the resource when ``path`` is a listed path, lies inside one
(``productionVariants[0].instanceType`` inside ``productionVariants[*].instanceType``), or holds
one (a whole ``dataCaptureConfig`` added or removed). The dynamic resources of this project
say themselves what replaces them (their provider's ``diff``); component resources are never
replaced (they have no provider). A type missing from the table is unknown:
``replaces`` answers None, and the tests keep every type the example programs register listed.
"""

from __future__ import annotations

import re
from typing import Any

REGION = "region"
_K8S = ("metadata.name", "metadata.namespace")
_TOKEN = re.compile(r"\[[^\]]*\]|[^.\[]+")


def _aws(*paths: str) -> tuple[str, ...]:
    return (*paths, REGION)


def _variant(prefix: str) -> tuple[str, ...]:
    fields = (
        "acceleratorType",
        "containerStartupHealthCheckTimeoutInSeconds",
        "coreDumpConfig",
        "enableSsmAccess",
        "initialInstanceCount",
        "initialVariantWeight",
        "instanceType",
        "modelDataDownloadTimeoutInSeconds",
        "modelName",
        "serverlessConfig",
        "variantName",
        "volumeSizeInGb",
    )
    return tuple(f"{prefix}[*].{field}" for field in fields)


def _container(prefix: str) -> tuple[str, ...]:
    fields = (
        "containerHostname",
        "environment",
        "image",
        "imageConfig",
        "inferenceSpecificationName",
        "mode",
        "modelDataSource",
        "modelDataUrl",
        "modelPackageName",
        "multiModelConfig",
    )
    return tuple(f"{prefix}.{field}" for field in fields)


_S3_BUCKET = _aws("bucket", "bucketPrefix", "objectLockEnabled")  # s3/bucket.go
_BUCKET_PART = _aws("bucket", "expectedBucketOwner")

REPLACE_ON: dict[str, tuple[str, ...]] = {
    # internal/service/appautoscaling/policy.go, target.go
    "aws:appautoscaling/policy:Policy": _aws(
        "name", "resourceId", "scalableDimension", "serviceNamespace"
    ),
    "aws:appautoscaling/target:Target": _aws("resourceId", "scalableDimension", "serviceNamespace"),
    # internal/service/cloudwatch/composite_alarm.go, dashboard.go, metric_alarm.go
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _aws("alarmName", "actionsEnabled"),
    "aws:cloudwatch/dashboard:Dashboard": _aws("dashboardName"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _aws("name"),
    # internal/service/events/rule.go, target.go
    "aws:cloudwatch/eventRule:EventRule": _aws("name", "namePrefix", "eventBusName"),
    "aws:cloudwatch/eventTarget:EventTarget": _aws("eventBusName", "rule", "targetId"),
    # internal/service/logs/group.go
    "aws:cloudwatch/logGroup:LogGroup": _aws("name", "namePrefix", "logGroupClass"),
    # internal/service/dynamodb/table.go
    "aws:dynamodb/table:Table": _aws("name", "hashKey", "rangeKey", "localSecondaryIndexes"),
    # internal/service/ecr/repository.go
    "aws:ecr/repository:Repository": _aws("name", "encryptionConfigurations"),
    # internal/service/iam/role.go, role_policy.go (IAM is global: no region input)
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "namePrefix", "role"),
    # internal/service/kms/alias.go, key.go, key_policy.go (key_id, policy: in place)
    "aws:kms/alias:Alias": _aws("name", "namePrefix"),
    "aws:kms/key:Key": _aws(
        "customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"
    ),
    "aws:kms/keyPolicy:KeyPolicy": _aws(),
    # internal/service/lambda/function.go
    "aws:lambda/function:Function": _aws("name"),
    # internal/service/lambda/permission.go: no Update, so every argument replaces
    "aws:lambda/permission:Permission": _aws(
        "action",
        "eventSourceToken",
        "function",
        "functionUrlAuthType",
        "invokedViaFunctionUrl",
        "principal",
        "principalOrgId",
        "qualifier",
        "sourceAccount",
        "sourceArn",
        "statementId",
        "statementIdPrefix",
    ),
    # internal/service/s3/bucket.go, bucket_*.go, object.go
    "aws:s3/bucket:Bucket": _S3_BUCKET,
    "aws:s3/bucketV2:BucketV2": _S3_BUCKET,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _BUCKET_PART,
    "aws:s3/bucketLogging:BucketLogging": _BUCKET_PART,
    "aws:s3/bucketNotification:BucketNotification": _aws("bucket"),
    "aws:s3/bucketObjectv2:BucketObjectv2": _aws("bucket", "key"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _aws("bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": _aws("bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _aws("bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _BUCKET_PART
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _BUCKET_PART,
    # internal/service/sagemaker/endpoint.go
    "aws:sagemaker/endpoint:Endpoint": _aws("name", "deploymentConfig.autoRollbackConfiguration"),
    # internal/service/sagemaker/endpoint_configuration.go (everything but tags)
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": _aws(
        "name",
        "namePrefix",
        "kmsKeyArn",
        "asyncInferenceConfig",
        "dataCaptureConfig",
        *_variant("productionVariants"),
        *_variant("shadowProductionVariants"),
    ),
    # internal/service/sagemaker/feature_group.go
    "aws:sagemaker/featureGroup:FeatureGroup": _aws(
        "featureGroupName",
        "recordIdentifierFeatureName",
        "eventTimeFeatureName",
        "offlineStoreConfig",
        "roleArn",
    ),
    # internal/service/sagemaker/model.go
    "aws:sagemaker/model:Model": _aws(
        "name",
        "executionRoleArn",
        "enableNetworkIsolation",
        "inferenceExecutionConfig",
        "vpcConfig",
        *_container("primaryContainer"),
        *_container("containers[*]"),
    ),
    # internal/service/sagemaker/model_package_group.go, model_package_group_policy.go
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": _aws(
        "modelPackageGroupName", "modelPackageGroupDescription"
    ),
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": _aws("modelPackageGroupName"),
    # internal/service/sagemaker/pipeline.go
    "aws:sagemaker/pipeline:Pipeline": _aws("pipelineName"),
    # internal/service/scheduler/schedule.go
    "aws:scheduler/schedule:Schedule": _aws("groupName", "name", "namePrefix"),
    # internal/service/sns/topic.go, topic_policy.go, topic_subscription.go
    "aws:sns/topic:Topic": _aws("name", "namePrefix", "fifoTopic"),
    "aws:sns/topicPolicy:TopicPolicy": _aws("arn"),
    "aws:sns/topicSubscription:TopicSubscription": _aws("endpoint", "protocol", "topic"),
    # internal/service/sqs/queue.go, queue_policy.go
    "aws:sqs/queue:Queue": _aws("name", "namePrefix", "fifoQueue"),
    "aws:sqs/queuePolicy:QueuePolicy": _aws("queueUrl"),
    # this project's dynamic resources: their providers' diff
    # (mlops_components.endpoint_provider.REPLACED_BY; the teardown never replaces)
    "pulumi-python:dynamic/mlops:Endpoint": ("endpointName", REGION),
    "pulumi-python:dynamic/mlops:EndpointTeardown": (),
    # pulumi/pulumi-kubernetes provider/pkg/provider/forcenew.go: a new metadata.name or
    # metadata.namespace replaces every kind; a Service also spec.clusterIP and spec.type;
    # custom resources, policy/v1 budgets and the rest change in place
    "kubernetes:core/v1:Namespace": _K8S,
    "kubernetes:core/v1:Service": (*_K8S, "spec.clusterIP", "spec.type"),
    "kubernetes:policy/v1:PodDisruptionBudget": _K8S,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": _K8S,
    "kubernetes:networking.k8s.io/v1:Ingress": _K8S,
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": _K8S,
    "kubernetes:networking.istio.io/v1:VirtualService": _K8S,
    "kubernetes:batch/v1:CronJob": _K8S,
    # the loop (issue 13): a ConfigMap's data replaces it (unless the provider's
    # enableConfigMapMutable), a Deployment's selector and a RoleBinding's roleRef too (diff.go)
    "kubernetes:core/v1:ConfigMap": (*_K8S, "data", "binaryData"),
    "kubernetes:core/v1:ServiceAccount": _K8S,
    "kubernetes:apps/v1:Deployment": (*_K8S, "spec.selector"),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": _K8S,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": (*_K8S, "roleRef"),
    "kubernetes:argoproj.io/v1alpha1:Rollout": _K8S,
    "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate": _K8S,
    "kubernetes:keda.sh/v1alpha1:ScaledObject": _K8S,
    "kubernetes:serving.knative.dev/v1:Service": _K8S,  # a custom resource (not core/v1)
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": _K8S,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": _K8S,
    "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig": _K8S,
}
"""Type token -> input paths whose change replaces the resource."""

COMPONENT_PREFIXES = ("mlops:", "test:")
"""Component resources (no provider, never replaced)."""


def known(type_: str) -> bool:
    """The table (or the component rule) says what replaces resources of ``type_``."""
    return type_ in REPLACE_ON or type_.startswith(COMPONENT_PREFIXES)


def tokens(path: str) -> list[str]:
    """``a.b[0].c<json>.d`` -> ``['a', 'b', '[0]', 'c', 'd']`` (a JSON string is one value)."""
    return _TOKEN.findall(path.replace("<json>", ""))


def _covers(rule: list[str], path: list[str]) -> bool:
    """``path`` equals ``rule`` or lies inside it, ``[*]`` matching any index."""
    return len(path) >= len(rule) and _same(rule, path)


def _same(rule: list[str], path: list[str]) -> bool:
    return all(
        r == p or (r == "[*]" and p.startswith("[")) for r, p in zip(rule, path, strict=False)
    )


def _holds(value: Any, rest: list[str]) -> bool:
    """``value`` (a block added, removed or retyped) has something at the ``rest`` of a rule."""
    if not rest:
        return value is not None
    head, tail = rest[0], rest[1:]
    if head.startswith("["):
        return isinstance(value, list) and any(_holds(item, tail) for item in value)
    return isinstance(value, dict) and _holds(value.get(head), tail)


def replaces(type_: str, path: str, old: Any = None, new: Any = None) -> bool | None:
    """Whether changing input ``path`` (from ``old`` to ``new``) replaces a resource of
    ``type_``; None when the type is unknown."""
    if type_.startswith(COMPONENT_PREFIXES):
        return False
    rules = REPLACE_ON.get(type_)
    if rules is None:
        return None
    changed = tokens(path)
    for rule in map(tokens, rules):
        if _covers(rule, changed):
            return True
        inside = rule[len(changed) :]
        holds = _holds(old, inside) or _holds(new, inside)
        if len(changed) < len(rule) and _same(rule, changed) and holds:
            return True
    return False
