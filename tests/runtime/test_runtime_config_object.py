"""A function's configuration from its versioned, KMS-encrypted S3 object (moto_server).

The object is written as the components write it (SSE-KMS with a customer key, in a versioned
bucket); the function's environment names the object and one version. moto does not enforce
IAM, so the role's grant on exactly that key is checked in tests/plan (test_aws_limits_plan,
test_runtime_calls_granted), not here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from runtime_support import boto

from mlops_runtime import notify, trigger
from mlops_runtime.aws import config_object
from mlops_runtime.aws.config_object import load_config
from mlops_runtime.contract.config import (
    ENV_VAR,
    OBJECT_ENV_VAR,
    VERSION_ENV_VAR,
    ConfigError,
    NotifyConfig,
    TriggerConfig,
)

BUCKET = "acme-shop-dev-artifacts-us-east-1"
KEY = "code/config/functions/shop-dev-notify.json"
URI = f"s3://{BUCKET}/{KEY}"


def notify_config(parameter: str = "/shop/alerts/webhook-url") -> NotifyConfig:
    return NotifyConfig(system="shop", environment="dev", webhook_parameter=parameter)


@pytest.fixture(autouse=True)
def cold_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test is a fresh execution environment: nothing cached, no configuration set."""
    for name in (ENV_VAR, OBJECT_ENV_VAR, VERSION_ENV_VAR):
        monkeypatch.delenv(name, raising=False)
    config_object.clear_cache()
    yield
    config_object.clear_cache()


@pytest.fixture
def bucket() -> str:
    """The artifacts bucket: versioned, SSE-KMS by default with the system key."""
    s3 = boto("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return BUCKET


def upload(text: str) -> str:
    """One upload as the components make it; its version id."""
    key_id = boto("kms").create_key()["KeyMetadata"]["KeyId"]
    response = boto("s3").put_object(
        Bucket=BUCKET,
        Key=KEY,
        Body=text.encode(),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_id,
        BucketKeyEnabled=True,
    )
    return str(response["VersionId"])


def deploy(monkeypatch: pytest.MonkeyPatch, version: str, uri: str = URI) -> None:
    """The function's environment as the components set it."""
    monkeypatch.setenv(OBJECT_ENV_VAR, uri)
    monkeypatch.setenv(VERSION_ENV_VAR, version)


def test_the_function_reads_the_version_deployed_with_it(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = upload(notify_config("/shop/v1").to_json())
    upload(notify_config("/shop/v2").to_json())  # a later `pulumi up`, not yet on this function
    deploy(monkeypatch, first)
    assert load_config(NotifyConfig).webhook_parameter == "/shop/v1"


def test_a_warm_invocation_makes_no_s3_call(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(monkeypatch, upload(notify_config().to_json()))
    loaded = load_config(NotifyConfig)
    boto("s3").delete_object(Bucket=BUCKET, Key=KEY, VersionId=boto_versions()[0])
    assert load_config(NotifyConfig) is loaded  # cached for this execution environment
    config_object.clear_cache()  # the next cold start reads again, and finds nothing
    with pytest.raises(ConfigError, match="is missing"):
        load_config(NotifyConfig)


def boto_versions() -> list[str]:
    response = boto("s3").list_object_versions(Bucket=BUCKET, Prefix=KEY)
    return [v["VersionId"] for v in response.get("Versions", [])]


def test_a_new_version_is_read_by_a_function_deployed_with_it(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(monkeypatch, upload(notify_config("/shop/v1").to_json()))
    assert load_config(NotifyConfig).webhook_parameter == "/shop/v1"
    deploy(monkeypatch, upload(notify_config("/shop/v2").to_json()))  # the function's update
    assert load_config(NotifyConfig).webhook_parameter == "/shop/v2"


@pytest.mark.parametrize(
    ("uri", "version", "message"),
    [
        (URI, "no-such-version", f"the configuration object {URI} .*is missing"),
        (f"s3://{BUCKET}/code/config/functions/other.json", "v", "is missing"),
        ("s3://", "v", "does not name an object"),
        ("https://example.com/x.json", "v", "not an s3:// URI"),
    ],
)
def test_an_object_that_is_not_there_is_a_clear_error(
    bucket: str, monkeypatch: pytest.MonkeyPatch, uri: str, version: str, message: str
) -> None:
    upload(notify_config().to_json())
    deploy(monkeypatch, version, uri)
    with pytest.raises(ConfigError, match=message):
        load_config(NotifyConfig)


def test_an_environment_without_the_object_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match=f"{OBJECT_ENV_VAR} is not set"):
        load_config(NotifyConfig)
    monkeypatch.setenv(OBJECT_ENV_VAR, URI)
    with pytest.raises(ConfigError, match=f"{VERSION_ENV_VAR} is not set"):
        load_config(NotifyConfig)


def test_a_document_of_the_wrong_kind_is_rejected(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(monkeypatch, upload(notify_config().to_json()))
    with pytest.raises(ConfigError):
        load_config(TriggerConfig)


def test_the_handlers_read_their_object(bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(monkeypatch, upload(notify_config().to_json()))
    assert notify.handler({"Records": []}, None) == {"delivered": 0, "failed": 0}
    config_object.clear_cache()
    deploy(monkeypatch, "no-such-version")
    with pytest.raises(ConfigError, match="is missing"):
        notify.handler({"Records": []}, None)
    with pytest.raises(ConfigError, match="is missing"):
        trigger.handler({"source": "aws.s3"}, None)


def test_the_document_inline_still_works_for_local_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, notify_config("/local").to_json())
    assert load_config(NotifyConfig).webhook_parameter == "/local"
