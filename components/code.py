"""The runtime code as a Pulumi archive (SageMaker jobs via S3, Lambdas directly)."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def source_archive(packages: tuple[str, ...]) -> pulumi.AssetArchive:
    """The ``.py`` files of ``packages`` (paths relative to the repository root), plus the
    ``__init__.py`` of each parent package so that imports resolve."""
    files: dict[str, pulumi.Asset | pulumi.Archive] = {}
    for package in packages:
        top = REPOSITORY_ROOT / package
        parent = top.parent
        while parent != REPOSITORY_ROOT:
            init = parent / "__init__.py"
            if init.is_file():
                files[init.relative_to(REPOSITORY_ROOT).as_posix()] = pulumi.FileAsset(_path(init))
            parent = parent.parent
        for path in sorted(top.rglob("*.py")):
            if "__pycache__" not in path.parts:
                files[path.relative_to(REPOSITORY_ROOT).as_posix()] = pulumi.FileAsset(_path(path))
    return pulumi.AssetArchive(dict(sorted(files.items())))


def _path(path: Path) -> str:
    """Relative to the working directory (the program directory when Pulumi runs it), so
    that recorded asset paths do not depend on where the repository is checked out."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
