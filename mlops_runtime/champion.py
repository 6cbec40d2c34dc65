"""Resolve a batch model's champion: the first ProcessingStep of its scoring pipeline.

Runs on the SageMaker scikit-learn image as ``python -m mlops_runtime.champion --group GROUP
--output /opt/ml/processing/champion`` and writes ``champion.json``::

    {"model_package_arn": "arn:aws:sagemaker:...:model-package/churn/7",
     "model_package_version": 7,
     "model_data_url": "s3://.../model.tar.gz",
     "image": "....dkr.ecr....amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"}

The pipeline declares ``PropertyFile(name="Champion", output_name="champion",
path="champion.json")`` and its CreateModel step takes ``model_package_arn`` with ``JsonGet``.
The champion is the group's most recently created Approved package (the same rule as the deploy
function and the evaluation gate). Exit status: 0 when written; 2 when the group has no Approved
package (the message says so, on stderr and as the job's ExitMessage), so the pipeline stops
before scoring with nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops_runtime.aws.clients import client as aws_client
from mlops_runtime.aws.registry import SageMakerRegistry
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.core.ports import GroupNotFound, ModelRegistry
from mlops_runtime.core.registry import NoChampionError
from mlops_runtime.jobs.processing import fail

__all__ = ["CHAMPION_FILE", "NoChampionError", "main", "run"]

CHAMPION_FILE = "champion.json"
OUTPUT_DIR = "/opt/ml/processing/champion"
EXIT_NO_CHAMPION = 2

logger = get_logger(__name__)


def run(
    group: str,
    output_dir: str | Path,
    client: Any = None,
    *,
    registry: ModelRegistry | None = None,
) -> dict[str, Any]:
    """Write ``<output_dir>/champion.json`` for ``group``'s latest Approved package; return it.

    ``registry`` reads the registry (default: SageMaker through ``client``, a SageMaker client,
    default the runtime's). Raises NoChampionError when the group has no Approved package.
    """
    registry = registry or SageMakerRegistry(client or aws_client("sagemaker"))
    try:
        latest = registry.latest_approved(group)
    except GroupNotFound as error:
        raise NoChampionError(
            f"model package group {group!r} does not exist: the stack creates it; check the "
            "group name and the region"
        ) from error
    if latest is None:
        raise NoChampionError(
            f"model package group {group!r} has no Approved model package: approve a package "
            "(UpdateModelPackage ModelApprovalStatus=Approved) before the batch pipeline runs"
        )
    package = registry.package(latest.arn)
    champion: dict[str, Any] = {
        "model_package_arn": latest.arn,
        "model_package_version": package.version or latest.version,
        "model_data_url": package.model_data_url,
        "image": package.image,
    }
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / CHAMPION_FILE).write_text(json.dumps(champion, indent=2, sort_keys=True))
    log(logger, "champion: resolved", group=group, **champion)
    return champion


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.champion")
    parser.add_argument("--group", required=True, help="model package group name")
    parser.add_argument("--output", default=OUTPUT_DIR, help="directory for champion.json")
    args = parser.parse_args(argv)
    try:
        run(args.group, args.output)
    except NoChampionError as error:
        return fail(f"no champion: {error}", EXIT_NO_CHAMPION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
