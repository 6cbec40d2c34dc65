"""Small Pulumi programs built from real pulumi_aws resources, for the preview tests.

``platform`` reads its knobs from ``pulumi.Config("mlops")`` so one program yields different
plans under different config, the way a spec change would.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

PROJECT = "mlops"
BASE_CONFIG = {"spec": "examples/churn.yaml"}


class Encryption(pulumi.ComponentResource):
    """A component nested inside :class:`Storage`."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:storage:Encryption", name, None, opts)
        self.key = aws.kms.Key(
            f"{name}-key",
            description="data key",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.register_outputs({"key_arn": self.key.arn})


class Storage(pulumi.ComponentResource):
    """A bucket with versioning and a nested encryption component."""

    def __init__(
        self,
        name: str,
        bucket_name: str,
        protect: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("test:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.encryption = Encryption(f"{name}-enc", opts=child)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            tags={"team": "ml", "cost-center": "42"},
            opts=pulumi.ResourceOptions(
                parent=self, protect=protect, retain_on_delete=True, ignore_changes=["tags"]
            ),
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        self.register_outputs({"bucket": self.bucket.bucket, "key_arn": self.encryption.key.arn})


def platform() -> None:
    """Storage, a model package group and an endpoint; knobs come from config."""
    config = pulumi.Config("mlops")
    env = pulumi.get_stack()
    storage_name = config.get("storage_name") or "data"
    storage_opts = None
    if config.get("storage_alias"):
        storage_opts = pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name=config.get("storage_alias"))]
        )
    storage = Storage(
        storage_name,
        bucket_name=config.get("bucket") or f"{pulumi.get_project()}-{env}-data",
        protect=config.get_bool("protect") is not False,
        opts=storage_opts,
    )
    group = aws.sagemaker.ModelPackageGroup(
        "churn-group", model_package_group_name=config.get("group") or "churn"
    )
    endpoint_config = aws.sagemaker.EndpointConfiguration(
        "churn-config",
        production_variants=[
            aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                variant_name="primary",
                model_name="churn-model",
                instance_type=config.get("instance_type") or "ml.m5.large",
                initial_instance_count=config.get_int("instances") or 1,
                initial_variant_weight=1.0,
            )
        ],
        opts=pulumi.ResourceOptions(depends_on=[group]),
    )
    resources: list[pulumi.Resource] = [storage, group, endpoint_config]
    if config.get_bool("endpoint") is not False:
        resources.append(
            aws.sagemaker.Endpoint(
                "churn-endpoint",
                name=f"churn-{env}",
                endpoint_config_name=endpoint_config.name,
                opts=pulumi.ResourceOptions(
                    replace_on_changes=["endpoint_config_name"], delete_before_replace=True
                ),
            )
        )
    if config.get_bool("logs"):
        aws.cloudwatch.LogGroup("churn-logs", name=f"/mlops/{env}/churn", retention_in_days=30)
    pulumi.export("bucket", storage.bucket.bucket)
    pulumi.export("spec", config.require("spec"))
    pulumi.export("resource_count", len(resources))


def nested() -> None:
    """Only the nested component, for URN checks."""
    Storage("data", bucket_name="nested-bucket")


class Echo(pulumi.dynamic.ResourceProvider):
    """A dynamic provider whose pickled form is a secret (the SDK's default)."""

    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_="echo", outs=props)


class PlainEcho(Echo):
    """The same, serialised in the clear."""

    serialize_as_secret_always = False


class Dynamic(pulumi.dynamic.Resource, module="test", name="Echo"):
    def __init__(self, name: str, provider: Echo, props: dict) -> None:
        super().__init__(provider, name, props)


def dynamic() -> None:
    """Two dynamic resources: one with a secret provider blob, one with a plain one."""
    Dynamic("secret-echo", Echo(), {"size": 3})
    Dynamic("plain-echo", PlainEcho(), {"size": 4})
