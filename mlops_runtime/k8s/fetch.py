"""``python -m mlops_runtime.k8s.fetch``: a training run's inputs in SageMaker's layout.

The first init container of a training Job. Its configuration (``MLOPS_RUNTIME_CONFIG``):
``{"channels": {name: "s3://bucket/prefix/"}, "hyperparameters": {name: value}, "root":
"/opt/ml"}``. Every object under a channel's prefix is downloaded to
``<root>/input/data/<channel>/<key below the prefix>``; the hyperparameters (strings, as
SageMaker passes them) go to ``<root>/input/config/hyperparameters.json`` and the channels to
``inputdataconfig.json``, so an image written for SageMaker training runs unchanged. The store
is the one boto3 finds (``AWS_ENDPOINT_URL_S3`` for an S3-compatible store). Exit 2 on a bad
configuration, 1 when a download fails.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import boto3

from mlops_runtime.aws.clients import split_s3_uri
from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.core.logs import get_logger, log

_LOG = get_logger("fetch")


def fetch(config: dict[str, Any], s3: Any) -> dict[str, int]:
    """Download every channel and write the config files; objects per channel."""
    root = Path(config.get("root", "/opt/ml"))
    counts = {}
    for channel, uri in config["channels"].items():
        bucket, prefix = split_s3_uri(uri)
        target = root / "input" / "data" / channel
        target.mkdir(parents=True, exist_ok=True)
        counts[channel] = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                relative = PurePosixPath(str(item["Key"])[len(prefix) :].lstrip("/"))
                if not relative.parts or ".." in relative.parts or str(item["Key"]).endswith("/"):
                    continue
                path = target.joinpath(*relative.parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, str(item["Key"]), str(path))
                counts[channel] += 1
    settings = root / "input" / "config"
    settings.mkdir(parents=True, exist_ok=True)
    hyperparameters = {k: str(v) for k, v in config.get("hyperparameters", {}).items()}
    (settings / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    channels = {c: {"S3DistributionType": "FullyReplicated"} for c in config["channels"]}
    (settings / "inputdataconfig.json").write_text(json.dumps(channels))
    (root / "model").mkdir(parents=True, exist_ok=True)
    return counts


def main() -> int:
    try:
        config = json.loads(os.environ[ENV_VAR])
        if not isinstance(config.get("channels"), dict):
            raise ValueError("'channels' must map channel names to s3:// URIs")
    except (KeyError, ValueError) as error:
        log(_LOG, "invalid fetch configuration", logging.ERROR, error=str(error))
        return 2
    try:
        counts = fetch(config, boto3.session.Session().client("s3"))
    except Exception as error:
        log(
            _LOG,
            "fetching the inputs failed",
            logging.ERROR,
            error=f"{type(error).__name__}: {error}",
        )
        return 1
    log(_LOG, "inputs fetched", objects=counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
