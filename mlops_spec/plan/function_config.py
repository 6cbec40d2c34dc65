"""A runtime function's configuration as a versioned object in the artifacts bucket.

Lambda allows 4 KB of environment variables per function, which ~3 ``latest_approved``
models or ~25 retrained ones outgrow. So each function's document is one S3 object (the
:class:`~mlops_spec.plan.pipelines.ConfigFile` the Processing steps use, uploaded the same
way: SSE-KMS with the system key, in the versioned artifacts bucket) at
``code/config/functions/<function>.json``; the function's environment names the object and the
version deployed with it (``mlops_runtime.contract.config.OBJECT_ENV_VAR``/``VERSION_ENV_VAR``),
and its role may read exactly that key.
"""

from __future__ import annotations

from mlops_runtime.contract.config import RuntimeConfig
from mlops_spec.plan.documents import Statement
from mlops_spec.plan.pipelines import CONFIG_PREFIX, ConfigFile
from mlops_spec.plan.storage import BucketPlan

FUNCTIONS_PREFIX = f"{CONFIG_PREFIX}/functions/"
"""Key prefix of the functions' configuration objects in the artifacts bucket."""


def function_config(
    artifacts: BucketPlan, function: str, key: str, config: RuntimeConfig
) -> ConfigFile:
    """``s3://<artifacts>/code/config/functions/<function>.json`` holding ``config``
    (``${account}``/``${key_arn}`` placeholders allowed); ``key`` is the function's plan key."""
    return ConfigFile(
        step=key,
        runtime_class=type(config).__name__,
        bucket=artifacts.name,
        key=f"{FUNCTIONS_PREFIX}{function}.json",
        content=config.to_json,  # encoded when first read (validation reads none)
    )


def read_config_grant(artifacts: BucketPlan, file: ConfigFile) -> tuple[Statement, ...]:
    """Read that one object, in the version the environment names (GetObject with a
    ``VersionId`` needs ``s3:GetObjectVersion``); decrypting it needs the system key, which
    every function's role may use."""
    return (
        Statement(
            sid="ReadRuntimeConfig",
            actions=("s3:GetObject", "s3:GetObjectVersion"),
            resources=(f"{artifacts.arn}/{file.key}",),
        ),
    )
