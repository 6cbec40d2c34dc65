"""Storage: the system KMS key and every bucket, secured by split S3 resources.

Each bucket gets ownership enforced (no ACLs), all public access blocked, versioning,
default encryption (SSE-KMS with the system key and bucket keys; the access-log bucket uses
SSE-S3 because S3 server access logging cannot write to SSE-KMS buckets), a TLS-only policy
that also refuses uploads asking for another encryption or key, lifecycle rules, access
logging to the logs bucket, and EventBridge notifications where new data retrains.
The runtime code archive is uploaded to the artifacts bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mlops_components.code import source_archive
from mlops_components.refs import Refs, StackContext, child
from mlops_spec.plan import EnvironmentPolicy, StoragePlan
from mlops_spec.plan.storage import BucketPlan


@dataclass(frozen=True)
class StorageArgs:
    plan: StoragePlan
    policy: EnvironmentPolicy


class Storage(pulumi.ComponentResource):
    """KMS key, buckets and the runtime code object of one stack."""

    key_arn: pulumi.Output[str]
    account_id: pulumi.Output[str]
    bucket_names: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    code_uri: pulumi.Output[str]

    def __init__(
        self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:storage:Storage", name, None, opts)
        plan, tags = args.plan, args.policy.tag_map
        key = aws.kms.Key(
            f"{name}-key",
            description=plan.key.description,
            enable_key_rotation=plan.key.rotation,
            deletion_window_in_days=plan.key.deletion_window_days,
            tags=tags,
            opts=child(self, retain=plan.key.retain),
        )
        self.refs = Refs.from_key_arn(key.arn)
        self.context = StackContext(args.policy, self.refs, (self,))
        """The context of every other component: policy, refs, and waiting for storage."""
        self.key_arn = key.arn
        self.account_id = self.refs.account
        aws.kms.KeyPolicy(
            f"{name}-key-policy",
            key_id=key.key_id,
            policy=self.refs.render(plan.key.policy.to_json()),
            opts=child(self),
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=plan.key.alias, target_key_id=key.key_id, opts=child(self)
        )
        self.buckets: dict[str, aws.s3.Bucket] = {}
        logs: aws.s3.Bucket | None = None
        for bucket_plan in plan.buckets:
            bucket = self._bucket(name, bucket_plan, key, logs, args.policy)
            if bucket_plan.access_log_prefix is None:
                logs = bucket
            self.buckets[bucket_plan.key] = bucket
        self.bucket_names = {k: b.bucket for k, b in self.buckets.items()}
        self.bucket_arns = {k: b.arn for k, b in self.buckets.items()}
        code = plan.code
        aws.s3.BucketObjectv2(
            f"{name}-runtime-code",
            bucket=self.buckets[code.bucket_key].bucket,
            key=code.object_key,
            source=source_archive(code.packages),
            content_type="application/zip",
            server_side_encryption="aws:kms",
            kms_key_id=key.arn,
            bucket_key_enabled=True,
            tags=tags,
            opts=child(self),
        )
        self.code_uri = pulumi.Output.from_input(code.uri)
        self.register_outputs(
            {
                "key_arn": self.key_arn,
                "bucket_names": self.bucket_names,
                "code_uri": self.code_uri,
            }
        )

    def _bucket(
        self,
        name: str,
        plan: BucketPlan,
        key: aws.kms.Key,
        logs: aws.s3.Bucket | None,
        policy: EnvironmentPolicy,
    ) -> aws.s3.Bucket:
        prefix = f"{name}-{plan.key}"
        bucket = aws.s3.Bucket(
            prefix,
            bucket=plan.name,
            force_destroy=not plan.retain,
            tags={**policy.tag_map, "purpose": plan.purpose},
            opts=child(self, retain=plan.retain),
        )
        opts = child(self)
        locked = _lock_down(prefix, bucket, opts)
        aws.s3.BucketVersioning(
            f"{prefix}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled" if plan.versioning else "Suspended"
            ),
            opts=opts,
        )
        _encrypt(prefix, bucket, plan, key, opts)
        aws.s3.BucketPolicy(
            f"{prefix}-policy",
            bucket=bucket.id,
            policy=self.refs.render(plan.policy.to_json()),
            opts=child(self, depends_on=locked),
        )
        _lifecycle(prefix, bucket, plan, opts)
        if plan.access_log_prefix is not None and logs is not None:
            aws.s3.BucketLogging(
                f"{prefix}-logging",
                bucket=bucket.id,
                target_bucket=logs.id,
                target_prefix=plan.access_log_prefix,
                opts=opts,
            )
        if plan.eventbridge:
            aws.s3.BucketNotification(
                f"{prefix}-events", bucket=bucket.id, eventbridge=True, opts=opts
            )
        return bucket


def _lock_down(
    prefix: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions
) -> list[pulumi.Resource]:
    """Ownership enforced (no ACLs) and all public access blocked; the bucket policy waits
    for both."""
    ownership = aws.s3.BucketOwnershipControls(
        f"{prefix}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    public = aws.s3.BucketPublicAccessBlock(
        f"{prefix}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    return [public, ownership]


def _encrypt(
    prefix: str,
    bucket: aws.s3.Bucket,
    plan: BucketPlan,
    key: aws.kms.Key,
    opts: pulumi.ResourceOptions,
) -> None:
    """SSE-KMS with the system key and bucket keys, or SSE-S3 for the access-log bucket."""
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    default = (
        by_default(sse_algorithm="aws:kms", kms_master_key_id=key.arn)
        if plan.kms
        else by_default(sse_algorithm="AES256")
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default, bucket_key_enabled=plan.kms
            )
        ],
        opts=opts,
    )


def _lifecycle(
    prefix: str, bucket: aws.s3.Bucket, plan: BucketPlan, opts: pulumi.ResourceOptions
) -> None:
    rule_args = aws.s3.BucketLifecycleConfigurationRuleArgs
    aws.s3.BucketLifecycleConfiguration(
        f"{prefix}-lifecycle",
        bucket=bucket.id,
        rules=[
            rule_args(
                id=rule.id,
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule.prefix),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=rule.expiration_days
                )
                if rule.expiration_days
                else None,
                noncurrent_version_expiration=(
                    aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=rule.noncurrent_days
                    )
                    if rule.noncurrent_days
                    else None
                ),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=rule.abort_multipart_days
                    )
                ),
            )
            for rule in plan.lifecycle
        ],
        opts=opts,
    )
