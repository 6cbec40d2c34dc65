"""A model registry in memory: package groups, packages, approval, metadata, reports."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Mapping
from typing import Any

from mlops_runtime.core.ports import (
    GroupNotFound,
    ModelRegistry,
    Package,
    PackageRef,
    RegistryWriter,
)


class MemoryRegistry(ModelRegistry, RegistryWriter):
    """``ModelRegistry`` and ``RegistryWriter``: packages are numbered per group and created
    one clock tick apart (or at ``created_at``), like SageMaker's versions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ticks = itertools.count(1)
        self.groups: dict[str, list[tuple[float, Package]]] = {}
        self.reports: dict[str, Mapping[str, Any]] = {}
        """Report documents by URI (``Package.quality_report_uri``)."""

    def create_group(self, group: str) -> None:
        with self._lock:
            self.groups.setdefault(group, [])

    def register(
        self,
        group: str,
        status: str = "Approved",
        *,
        metadata: Mapping[str, str] | None = None,
        report: Mapping[str, Any] | None = None,
        created_at: float | None = None,
    ) -> str:
        """Add a package to ``group`` (created if needed); its ARN."""
        with self._lock:
            packages = self.groups.setdefault(group, [])
            version = len(packages) + 1
            arn = f"arn:aws:sagemaker:local:000000000000:model-package/{group}/{version}"
            uri = f"memory://{group}/{version}/evaluation.json" if report is not None else None
            if report is not None:
                self.reports[str(uri)] = report
            package = Package(arn, version, status, dict(metadata or {}), uri)
            stamp = float(next(self._ticks)) if created_at is None else created_at
            packages.append((stamp, package))
            return arn

    def set_status(self, arn: str, status: str) -> None:
        """Approve or reject a package (as an approver does)."""
        self._replace(arn, status=status)

    def latest_approved(self, group: str) -> PackageRef | None:
        approved = self.approved_packages(group)
        return approved[0] if approved else None

    def approved_packages(self, group: str) -> list[PackageRef]:
        with self._lock:
            if group not in self.groups:
                raise GroupNotFound(f"model package group {group!r} does not exist")
            approved = [(t, p) for t, p in self.groups[group] if p.status == "Approved"]
        approved.sort(key=lambda item: (item[0], item[1].version), reverse=True)
        return [PackageRef(package.arn, package.version, stamp) for stamp, package in approved]

    def package(self, arn: str) -> Package:
        return self._find(arn)[1]

    def quality_report(self, uri: str) -> Mapping[str, Any]:
        return self.reports[uri]

    def set_metadata(self, arn: str, values: Mapping[str, str]) -> None:
        current = self.package(arn)
        self._replace(arn, metadata={**current.metadata, **values})

    def _find(self, arn: str) -> tuple[float, Package]:
        with self._lock:
            for packages in self.groups.values():
                for entry in packages:
                    if entry[1].arn == arn:
                        return entry
        raise LookupError(f"no model package {arn}")

    def _replace(self, arn: str, **changes: Any) -> None:
        with self._lock:
            for packages in self.groups.values():
                for index, (stamp, package) in enumerate(packages):
                    if package.arn == arn:
                        packages[index] = (stamp, dataclasses.replace(package, **changes))
                        return
        raise LookupError(f"no model package {arn}")
