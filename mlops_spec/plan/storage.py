"""Storage plan: the system's KMS key, its buckets, and where each data source lives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TypeVar

from mlops_spec.models import ResolvedSpec, SystemSpec
from mlops_spec.models.serving import BatchServing
from mlops_spec.naming import BucketPurpose, Names
from mlops_spec.plan.documents import (
    ACCOUNT,
    KEY_ARN,
    Condition,
    PolicyDocument,
    Statement,
    partition_of,
)
from mlops_spec.plan.policy import EnvironmentPolicy

T = TypeVar("T")

RUNTIME_CODE_KEY = "code/mlops_runtime.zip"
"""Key of the runtime code archive in the artifacts bucket (evaluation and monitoring jobs)."""
RUNTIME_PACKAGES = ("mlops_runtime",)
"""Source trees (relative to the repository root) packed into the runtime archive."""
ABORT_MULTIPART_DAYS = 7
PREPARED_FEATURES_PREFIX = "batch-features/"
"""Artifacts-bucket prefix of the batch pipelines' prepared features
(``batch-features/<model>/<execution id>/``, see :mod:`mlops_spec.plan.batch_features`)."""
PREPARED_FEATURES_DAYS = 7
"""The prepared copy is read once, by the same execution's transform: it expires after a week
(kept that long to look into a run)."""
HOLDOUT_COPY_PREFIX = "holdout"
PREDICTIONS_PREFIX = "predictions"
"""Under ``models/<model>/`` in the artifacts bucket, for a model with a gate: each execution's
prepared holdout (the PrepareHoldout step) and the candidate's predictions of it (the
ScoreHoldout transform). Both are read only by the same execution's ScoreHoldout and Evaluate
steps; what the gate decided is kept in ``evaluation/`` (the package's quality report)."""
GATE_COPIES_DAYS = 30
"""The gate's copies expire 30 days after they are written (noncurrent versions a day after
they are replaced, incomplete uploads after :data:`ABORT_MULTIPART_DAYS`): long enough to look
into a verdict while a manual approval waits; the holdout itself stays in its data source."""

_CONTENT_TYPES = {
    "parquet": "application/x-parquet",
    "csv": "text/csv",
    "jsonl": "application/jsonlines",
}


@dataclass(frozen=True)
class LifecycleRule:
    """One lifecycle rule of a bucket (applies under ``prefix``)."""

    id: str
    prefix: str = ""
    expiration_days: int | None = None
    noncurrent_days: int | None = None
    abort_multipart_days: int = ABORT_MULTIPART_DAYS


@dataclass(frozen=True)
class BucketPlan:
    """A managed bucket and every setting its split resources carry."""

    key: str
    """Stable logical key: artifacts, capture, reports, logs or data-<source>."""
    purpose: BucketPurpose
    name: str
    arn: str
    kms: bool
    """SSE-KMS with the system key and bucket keys; False only for the access-log bucket,
    because S3 server access logging cannot deliver to an SSE-KMS bucket (SSE-S3 instead)."""
    versioning: bool
    lifecycle: tuple[LifecycleRule, ...]
    access_log_prefix: str | None
    """Server access logs go to the logs bucket under this prefix; None for the logs bucket."""
    eventbridge: bool
    """Send S3 events to EventBridge (data sources with ``retrain_on_new_data``)."""
    retain: bool
    policy: PolicyDocument
    source: str | None = None


@dataclass(frozen=True)
class DataLocation:
    """Where one data source's objects are (managed or existing bucket)."""

    source: str
    bucket: str
    bucket_arn: str
    prefix: str
    managed: bool
    format: str
    content_type: str
    kind: str
    retrain_on_new_data: bool

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class KeyPlan:
    """The system's customer-managed KMS key."""

    alias: str
    description: str
    deletion_window_days: int
    rotation: bool
    retain: bool
    policy: PolicyDocument


@dataclass(frozen=True)
class RuntimeCodePlan:
    """The runtime code archive the SageMaker jobs download and unpack."""

    bucket_key: str
    object_key: str
    packages: tuple[str, ...]
    uri: str


@dataclass(frozen=True)
class StoragePlan:
    """Key, buckets (logs bucket first) and data locations."""

    key: KeyPlan
    buckets: tuple[BucketPlan, ...]
    data: tuple[DataLocation, ...]
    code: RuntimeCodePlan
    moved_models: tuple[tuple[str, str], ...] = ()
    """(model id, moved_from): a moved model's artifacts stay under its former id."""

    def bucket(self, key: str) -> BucketPlan:
        found = self._buckets.get(key)
        return found if found is not None else next(b for b in self.buckets if b.key == key)

    def model_prefix(self, model_id: str) -> str:
        """``models/<id>/`` in the artifacts bucket: a model's training output, evaluations
        and reference profiles. A moved model keeps its former id's prefix, where the model
        data of its registered packages lies."""
        return f"models/{self._moved.get(model_id, model_id)}/"

    def location(self, source: str) -> DataLocation:
        found = self._locations.get(source)
        return found if found is not None else next(d for d in self.data if d.source == source)

    # Indexes of the look-ups above, built on first use (thousands of calls per plan); an
    # unknown key falls back to the scan, which raises StopIteration as it always did.
    @cached_property
    def _buckets(self) -> dict[str, BucketPlan]:
        return _first_by(self.buckets, lambda b: b.key)

    @cached_property
    def _locations(self) -> dict[str, DataLocation]:
        return _first_by(self.data, lambda d: d.source)

    @cached_property
    def _moved(self) -> dict[str, str]:
        return dict(self.moved_models)


def _first_by(items: tuple[T, ...], key: Callable[[T], str]) -> dict[str, T]:
    """Each key's first item (what a scan for it finds)."""
    index: dict[str, T] = {}
    for item in items:
        index.setdefault(key(item), item)
    return index


def bucket_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:s3:::{name}"


def _bucket_name(ref: str) -> str:
    return ref.rsplit(":", 1)[-1] if ref.startswith("arn:") else ref


def deny_insecure_transport(arn: str) -> Statement:
    return Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        principals=(("*", "*"),),
        actions=("s3:*",),
        resources=(arn, f"{arn}/*"),
        conditions=(Condition("Bool", "aws:SecureTransport", ("false",)),),
    )


def _deny_wrong_encryption(arn: str) -> tuple[Statement, ...]:
    """Uploads that ask for another encryption, or for SSE-KMS with another key or with no key,
    are refused.

    A request naming ``aws:kms`` without a key id is encrypted with the AWS managed ``aws/s3``
    key, not the bucket default: ``StringNotEqualsIfExists`` on the key id is true when the id
    is missing, so it is denied with the other keys. Uploads without encryption headers get the
    bucket default (SSE-KMS with the system key): ``StringEquals`` on the header is false when
    it is missing, so they are allowed (a Deny on a *missing* header would break clients
    relying on the default). UploadPart carries no encryption header either (the upload's
    CreateMultipartUpload does), so multipart uploads are judged once, at their start.
    """
    sse = "s3:x-amz-server-side-encryption"
    key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    return (
        Statement(
            sid="DenyNonKmsEncryption",
            effect="Deny",
            principals=(("*", "*"),),
            actions=("s3:PutObject",),
            resources=(f"{arn}/*",),
            conditions=(
                Condition("StringNotEquals", sse, ("aws:kms",)),
                Condition("Null", sse, ("false",)),
            ),
        ),
        Statement(
            sid="DenyOtherKmsKeys",
            effect="Deny",
            principals=(("*", "*"),),
            actions=("s3:PutObject",),
            resources=(f"{arn}/*",),
            conditions=(
                Condition("StringEquals", sse, ("aws:kms",)),
                Condition("StringNotEqualsIfExists", key_id, (KEY_ARN,)),
            ),
        ),
    )


def _key_policy(resolved: ResolvedSpec, names: Names, partition: str) -> PolicyDocument:
    """The account administers the key; AWS services get only what they need; registry
    readers in other accounts may decrypt model artifacts through S3."""
    region = resolved.spec.system.region
    statements = [
        Statement(
            sid="EnableIamPolicies",
            principals=(("AWS", f"arn:{partition}:iam::{ACCOUNT}:root"),),
            actions=("kms:*",),
            resources=("*",),
        ),
        _logs_key_use(names, partition, region),
        _service_key_use("CloudWatchAlarmsPublishToEncryptedTopic", "cloudwatch.amazonaws.com"),
        _service_key_use("EventBridgeDeadLetterQueue", "events.amazonaws.com"),
    ]
    if resolved.spec.notifications.webhook_url_ssm_parameter:
        topic_arn = f"arn:{partition}:sns:{region}:{ACCOUNT}:{names.topic()}"
        statements.append(
            _service_key_use(
                "AlarmTopicDeadLetterQueue",
                "sns.amazonaws.com",
                Condition("ArnEquals", "aws:SourceArn", (topic_arn,)),
            )
        )
    readers = sorted(
        {a for m in resolved.spec.models.values() for a in m.registry.cross_account_read_accounts}
    )
    if readers:
        statements.append(
            Statement(
                sid="CrossAccountModelReaders",
                principals=tuple(("AWS", f"arn:{partition}:iam::{a}:root") for a in readers),
                actions=("kms:Decrypt", "kms:DescribeKey"),
                resources=("*",),
                conditions=(
                    Condition("StringEquals", "kms:ViaService", (f"s3.{region}.amazonaws.com",)),
                ),
            )
        )
    return PolicyDocument(tuple(statements))


def _logs_key_use(names: Names, partition: str, region: str) -> Statement:
    """CloudWatch Logs encrypts the system's function and endpoint log groups."""
    log_groups = f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:"
    return Statement(
        sid="CloudWatchLogs",
        principals=(("Service", f"logs.{region}.amazonaws.com"),),
        actions=(
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ),
        resources=("*",),
        conditions=(
            Condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                (
                    f"{log_groups}/aws/lambda/{names.prefix}-*",
                    f"{log_groups}/aws/sagemaker/Endpoints/{names.prefix}-*",
                ),
            ),
        ),
    )


def _service_key_use(sid: str, service: str, *conditions: Condition) -> Statement:
    """``service``, acting for this account, writes to encrypted topics or queues."""
    return Statement(
        sid=sid,
        principals=(("Service", service),),
        actions=("kms:Decrypt", "kms:GenerateDataKey*"),
        resources=("*",),
        conditions=(Condition("StringEquals", "aws:SourceAccount", (ACCOUNT,)), *conditions),
    )


def _rules(purpose: str, policy: EnvironmentPolicy) -> tuple[LifecycleRule, ...]:
    expiration = {
        "capture": policy.capture_expiration_days,
        "logs": policy.log_retention_days,
    }.get(purpose)
    return (
        LifecycleRule(
            id="expire" if expiration else "noncurrent-versions",
            expiration_days=expiration,
            noncurrent_days=policy.noncurrent_version_days,
        ),
    )


@dataclass(frozen=True)
class _Managed:
    """A bucket the stack creates (other than the log bucket)."""

    key: str
    purpose: BucketPurpose
    name: str
    source: str | None = None
    eventbridge: bool = False


def plan_storage(resolved: ResolvedSpec, names: Names, policy: EnvironmentPolicy) -> StoragePlan:
    """Buckets: logs, artifacts, capture, reports and one per ``bucket: create`` data source."""
    spec = resolved.spec
    partition = partition_of(spec.system.region)
    managed = [
        _Managed("artifacts", "artifacts", names.bucket("artifacts")),
        _Managed("capture", "capture", names.bucket("capture")),
        _Managed("reports", "reports", names.bucket("reports")),
    ]
    data = _data_locations(spec, names, partition)
    for location in data:
        if location.managed:
            managed.append(
                _Managed(
                    f"data-{location.source}",
                    "data",
                    location.bucket,
                    location.source,
                    location.retrain_on_new_data,
                )
            )
    readers = {  # by the id that names the model's artifacts prefix (moved: the former one)
        names.kept_model(model_id): tuple(m.registry.cross_account_read_accounts)
        for model_id, m in sorted(spec.models.items())
        if m.registry.cross_account_read_accounts
    }
    buckets = [_bucket(b, partition, policy, readers) for b in managed]
    extra = _gate_copy_rules(spec, names)
    if _prepares_batch_features(spec):
        extra = (*extra, _prepared_features_rule())
    buckets = [_with_rules(b, extra) if b.key == "artifacts" else b for b in buckets]
    artifacts = names.bucket("artifacts")
    return StoragePlan(
        key=KeyPlan(
            alias=names.kms_alias(),
            description=f"mlops-spec {names.prefix}: buckets, capture, topics, queues, tables",
            deletion_window_days=policy.kms_deletion_window_days,
            rotation=True,
            retain=policy.protect,
            policy=_key_policy(resolved, names, partition),
        ),
        buckets=(_logs_bucket(names, partition, policy, buckets), *buckets),
        data=tuple(data),
        code=RuntimeCodePlan(
            bucket_key="artifacts",
            object_key=RUNTIME_CODE_KEY,
            packages=RUNTIME_PACKAGES,
            uri=f"s3://{artifacts}/{RUNTIME_CODE_KEY}",
        ),
        moved_models=names.moved_models,
    )


def _prepares_batch_features(spec: SystemSpec) -> bool:
    """A batch model scores a data source (its pipeline prepares the features first)."""
    return any(
        isinstance(m.serving, BatchServing) and m.serving.input in spec.data_sources
        for m in spec.models.values()
    )


def _prepared_features_rule() -> LifecycleRule:
    return LifecycleRule(
        id="prepared-features",
        prefix=PREPARED_FEATURES_PREFIX,
        expiration_days=PREPARED_FEATURES_DAYS,
        noncurrent_days=1,
    )


def _gate_copy_rules(spec: SystemSpec, names: Names) -> tuple[LifecycleRule, ...]:
    """One rule per prefix the gate of a SageMaker-trained model writes (the prepared holdout,
    the transform's predictions), scoped to that model's prefix (a moved model's former one):
    nothing else under ``models/`` (the model, evaluations, references, lineage) expires."""
    kept = sorted(
        names.kept_model(model_id)
        for model_id, model in spec.models.items()
        if model.training.gate is not None and model.training.platform == "sagemaker"
    )
    return tuple(
        LifecycleRule(
            id=f"gate-{copy}-{model}",  # the kept id: a rename changes no rule
            prefix=f"models/{model}/{copy}/",
            expiration_days=GATE_COPIES_DAYS,
            noncurrent_days=1,
        )
        for model in kept
        for copy in (HOLDOUT_COPY_PREFIX, PREDICTIONS_PREFIX)
    )


def _with_rules(bucket: BucketPlan, rules: tuple[LifecycleRule, ...]) -> BucketPlan:
    return replace(bucket, lifecycle=(*bucket.lifecycle, *rules)) if rules else bucket


def _data_locations(spec: SystemSpec, names: Names, partition: str) -> list[DataLocation]:
    """Where each data source's objects are: its own bucket (``bucket: create``) or the
    existing bucket it names."""
    data = []
    for source_id, source in sorted(spec.data_sources.items()):
        if source.creates_bucket:
            name = names.data_bucket(source_id)
        else:
            name = _bucket_name(source.bucket)
        data.append(
            DataLocation(
                source=source_id,
                bucket=name,
                bucket_arn=bucket_arn(partition, name),
                prefix=source.prefix,
                managed=source.creates_bucket,
                format=str(source.format),
                content_type=_CONTENT_TYPES[str(source.format)],
                kind=source.kind,
                retrain_on_new_data=source.retrain_on_new_data,
            )
        )
    return data


def _bucket(
    bucket: _Managed,
    partition: str,
    policy: EnvironmentPolicy,
    readers: dict[str, tuple[str, ...]],
) -> BucketPlan:
    """A KMS-encrypted, versioned, TLS-only bucket logging to the log bucket; the artifacts
    bucket lets ``readers`` (accounts by model) read their model's artifacts."""
    arn = bucket_arn(partition, bucket.name)
    statements = [deny_insecure_transport(arn), *_deny_wrong_encryption(arn)]
    if bucket.key == "artifacts":
        for model_id, accounts in readers.items():
            statements.append(
                Statement(
                    sid=f"CrossAccountRead{''.join(p.title() for p in model_id.split('-'))}",
                    principals=tuple(("AWS", f"arn:{partition}:iam::{a}:root") for a in accounts),
                    actions=("s3:GetObject",),
                    resources=(f"{arn}/models/{model_id}/*",),
                )
            )
    return BucketPlan(
        key=bucket.key,
        purpose=bucket.purpose,
        name=bucket.name,
        arn=arn,
        kms=True,
        versioning=True,
        lifecycle=_rules(bucket.purpose, policy),
        access_log_prefix=f"{bucket.name}/",
        eventbridge=bucket.eventbridge,
        retain=policy.protect,
        policy=PolicyDocument(tuple(statements)),
        source=bucket.source,
    )


def _logs_bucket(
    names: Names, partition: str, policy: EnvironmentPolicy, logged: list[BucketPlan]
) -> BucketPlan:
    """The server access log bucket of the ``logged`` buckets (SSE-S3: log delivery cannot
    use a customer key)."""
    arn = bucket_arn(partition, names.bucket("logs"))
    delivery = Statement(
        sid="S3ServerAccessLogDelivery",
        principals=(("Service", "logging.s3.amazonaws.com"),),
        actions=("s3:PutObject",),
        resources=(f"{arn}/*",),
        conditions=(
            Condition("StringEquals", "aws:SourceAccount", (ACCOUNT,)),
            Condition("ArnLike", "aws:SourceArn", tuple(b.arn for b in logged)),
        ),
    )
    return BucketPlan(
        key="logs",
        purpose="logs",
        name=names.bucket("logs"),
        arn=arn,
        kms=False,
        versioning=True,
        lifecycle=_rules("logs", policy),
        access_log_prefix=None,
        eventbridge=False,
        retain=policy.protect,
        policy=PolicyDocument((deny_insecure_transport(arn), delivery)),
    )
