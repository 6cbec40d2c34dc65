"""Storage alone: the system key and the buckets of a minimal spec, one property a test.

The minimal spec (``tests.plan.conftest.MINIMAL``, system ``mini`` in eu-west-1) has one data
source, ``ds``, with ``bucket: create``: five buckets in all.
"""

from __future__ import annotations

import pytest

from mlops_components import Storage, StorageArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import Match, Template, build, sources
from tests.plan.conftest import MINIMAL, PROD, mini

S3 = "aws:s3/"
BUCKET = f"{S3}bucket:Bucket"
VERSIONING = f"{S3}bucketVersioning:BucketVersioning"
ENCRYPTION = f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS = f"{S3}bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = f"{S3}bucketOwnershipControls:BucketOwnershipControls"
POLICY = f"{S3}bucketPolicy:BucketPolicy"
LIFECYCLE = f"{S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = f"{S3}bucketLogging:BucketLogging"
NOTIFICATION = f"{S3}bucketNotification:BucketNotification"
KEY = "aws:kms/key:Key"

STORAGE_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:storage-key"
"""The ARN the recording mocks give the key Storage creates (logical name ``storage-key``)."""
KMS_BUCKETS = ("artifacts", "capture", "data-ds", "reports")


def storage(plan: DeploymentPlan) -> Template:
    return build(plan, lambda _: Storage("storage", StorageArgs(plan.storage, plan.policy)))


@pytest.fixture(scope="module")
def dev() -> Template:
    return storage(mini())


@pytest.fixture(scope="module")
def prod() -> Template:
    return storage(mini(settings=PROD))


def test_a_minimal_system_has_five_buckets_named_from_the_spec(dev: Template) -> None:
    names = sorted(r.inputs["bucket"] for r in dev.of_type(BUCKET))
    assert names == [
        "acme-mini-dev-artifacts-eu-west-1",
        "acme-mini-dev-capture-eu-west-1",
        "acme-mini-dev-data-ds-eu-west-1",
        "acme-mini-dev-logs-eu-west-1",
        "acme-mini-dev-reports-eu-west-1",
    ]


def test_every_bucket_is_versioned(dev: Template) -> None:
    dev.resource_count_is(VERSIONING, 5)
    dev.all_resources(VERSIONING, {"inputs": {"versioningConfiguration": {"status": "Enabled"}}})


@pytest.mark.parametrize("bucket", KMS_BUCKETS)
def test_bucket_encrypts_with_the_system_key_and_bucket_keys(dev: Template, bucket: str) -> None:
    encryption = dev.has_resource(
        ENCRYPTION,
        {
            "name": f"storage-{bucket}-encryption",
            "inputs": {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": STORAGE_KEY_ARN,
                        },
                        "bucketKeyEnabled": True,
                    }
                ]
            },
        },
    )
    assert sources(encryption, "rules") == ["storage-key"]


def test_the_access_log_bucket_uses_s3_managed_keys(dev: Template) -> None:
    """S3 server access logging cannot deliver to a bucket encrypted with SSE-KMS."""
    dev.has_resource(
        ENCRYPTION,
        {
            "name": "storage-logs-encryption",
            "inputs": {
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
            },
        },
    )


def test_public_access_is_blocked_on_every_bucket(dev: Template) -> None:
    dev.resource_count_is(PUBLIC_ACCESS, 5)
    dev.all_resources(
        PUBLIC_ACCESS,
        {
            "inputs": {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            }
        },
    )


def test_acls_are_disabled_on_every_bucket(dev: Template) -> None:
    dev.resource_count_is(OWNERSHIP, 5)
    dev.all_resources(OWNERSHIP, {"inputs": {"rule": {"objectOwnership": "BucketOwnerEnforced"}}})


def test_every_bucket_policy_refuses_plain_http(dev: Template) -> None:
    deny_http = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    dev.resource_count_is(POLICY, 5)
    dev.all_resources(
        POLICY, {"inputs": {"policy": Match.json({"Statement": Match.array_with([deny_http])})}}
    )


@pytest.mark.parametrize("bucket", KMS_BUCKETS)
def test_bucket_policy_refuses_uploads_asking_for_another_key_or_none(
    dev: Template, bucket: str
) -> None:
    other_encryption = {
        "Effect": "Deny",
        "Action": "s3:PutObject",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    }
    # aws:kms with another key, or with no key id (S3 would use aws/s3): IfExists makes a
    # missing key id count as "not the system key"; no encryption header at all is not denied.
    other_key = {
        "Effect": "Deny",
        "Action": "s3:PutObject",
        "Condition": {
            "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "StringNotEqualsIfExists": {
                "s3:x-amz-server-side-encryption-aws-kms-key-id": STORAGE_KEY_ARN
            },
        },
    }
    dev.has_resource(
        POLICY,
        {
            "name": f"storage-{bucket}-policy",
            "inputs": {
                "policy": Match.json({"Statement": Match.array_with([other_encryption, other_key])})
            },
        },
    )


def test_production_protects_and_retains_every_bucket_and_keeps_its_objects(
    prod: Template,
) -> None:
    prod.all_resources(
        BUCKET, {"protect": True, "retain_on_delete": True, "inputs": {"forceDestroy": False}}
    )


def test_production_protects_and_retains_the_rotating_key(prod: Template) -> None:
    prod.has_resource(
        KEY,
        {
            "protect": True,
            "retain_on_delete": True,
            "inputs": {"enableKeyRotation": True, "deletionWindowInDays": 30},
        },
    )


def test_development_lets_destroy_delete_buckets_with_their_objects(dev: Template) -> None:
    dev.all_resources(
        BUCKET, {"protect": False, "retain_on_delete": False, "inputs": {"forceDestroy": True}}
    )
    dev.has_resource(KEY, {"protect": False, "retain_on_delete": False})


def test_access_logs_of_every_other_bucket_go_to_the_logs_bucket(dev: Template) -> None:
    logging = dev.of_type(LOGGING)
    assert sorted(r.name for r in logging) == [f"storage-{b}-logging" for b in KMS_BUCKETS]
    assert all(sources(r, "targetBucket") == ["storage-logs"] for r in logging)


def test_captured_data_expires_after_the_environment_s_days(dev: Template) -> None:
    dev.has_resource(
        LIFECYCLE,
        {"name": "storage-capture-lifecycle", "inputs": {"rules": [{"expiration": {"days": 7}}]}},
    )


def test_no_eventbridge_notifications_unless_new_data_retrains(dev: Template) -> None:
    dev.resource_count_is(NOTIFICATION, 0)


def test_new_data_that_retrains_is_sent_to_eventbridge() -> None:
    source = {**MINIMAL["data_sources"]["ds"], "retrain_on_new_data": True}
    template = storage(mini({"data_sources": {"ds": source}}))
    template.resource_count_is(NOTIFICATION, 1)
    notification = template.has_resource_properties(NOTIFICATION, {"eventbridge": True})
    assert sources(notification, "bucket") == ["storage-data-ds"]


def test_an_existing_bucket_is_not_created() -> None:
    source = {**MINIMAL["data_sources"]["ds"], "bucket": "team-lake"}
    template = storage(mini({"data_sources": {"ds": source}}))
    assert "storage-data-ds" not in [r.name for r in template.of_type(BUCKET)]
    template.resource_count_is(BUCKET, 4)


def test_the_runtime_code_is_uploaded_encrypted_with_the_system_key(dev: Template) -> None:
    dev.has_resource_properties(
        f"{S3}bucketObjectv2:BucketObjectv2",
        {
            "bucket": "acme-mini-dev-artifacts-eu-west-1",
            "key": "code/mlops_runtime.zip",
            "serverSideEncryption": "aws:kms",
            "kmsKeyId": STORAGE_KEY_ARN,
            "bucketKeyEnabled": True,
        },
    )
