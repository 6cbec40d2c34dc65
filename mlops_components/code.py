"""The runtime code as a Pulumi archive (SageMaker jobs via S3, Lambdas directly), and the
Processing steps' configuration files."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_aws as aws

from mlops_components.refs import StackContext, child
from mlops_spec.plan.pipelines import ConfigFile

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def source_archive(packages: tuple[str, ...]) -> pulumi.AssetArchive:
    """The ``.py`` files of ``packages`` (paths relative to the repository root), plus the
    ``__init__.py`` of each parent package so that imports resolve."""
    files = _source_files(packages, os.getcwd())
    return pulumi.AssetArchive({name: pulumi.FileAsset(path) for name, path in files})


@functools.cache
def _source_files(packages: tuple[str, ...], cwd: str) -> tuple[tuple[str, str], ...]:
    """(name in the archive, asset path) of each file, sorted by name. Walked once per process
    (the storage, the notifier and the loop's functions ship the same code; ``pulumi up`` runs
    the program once, the offline preview imports its modules anew for each run); ``cwd`` keys
    the asset paths, which are relative to it."""
    del cwd  # part of the cache key only: _path reads the working directory
    files: dict[str, str] = {}
    for package in packages:
        top = REPOSITORY_ROOT / package
        parent = top.parent
        while parent != REPOSITORY_ROOT:
            init = parent / "__init__.py"
            if init.is_file():
                files[init.relative_to(REPOSITORY_ROOT).as_posix()] = _path(init)
            parent = parent.parent
        for path in sorted(top.rglob("*.py")):
            if "__pycache__" not in path.parts:
                files[path.relative_to(REPOSITORY_ROOT).as_posix()] = _path(path)
    return tuple(sorted(files.items()))


def _path(path: Path) -> str:
    """Relative to the working directory (the program directory when Pulumi runs it), so
    that recorded asset paths do not depend on where the repository is checked out."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def upload_config_files(
    parent: pulumi.Resource, name: str, files: Sequence[ConfigFile], context: StackContext
) -> list[aws.s3.BucketObjectv2]:
    """One object per Processing step configuration (``<name>-config-<step>``): the rendered
    JSON, SSE-KMS with the system key like the runtime code archive. The steps receive it as
    their ``config`` ProcessingInput (environment values of a job are limited to 256
    characters, too short for the document itself)."""
    return [
        aws.s3.BucketObjectv2(
            f"{name}-config-{file.step.lower()}",
            bucket=file.bucket,
            key=file.key,
            content=context.refs.render(file.content),
            content_type="application/json",
            server_side_encryption="aws:kms",
            kms_key_id=context.refs.key_arn,
            bucket_key_enabled=True,
            tags=context.policy.tag_map,
            # The bucket (and its encryption and policy) belong to the storage component.
            opts=child(parent, depends_on=list(context.depends_on)),
        )
        for file in files
    ]
