"""Audit records: every decision a unit takes is logged and kept in its ``AuditLog``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime.core.clock import iso
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.core.ports import AuditLog

logger = get_logger(__name__)


def record(
    audit: AuditLog,
    *,
    unit: str,
    model: str | None,
    decision: str,
    now: datetime,
    ttl_days: int = 0,
    **details: Any,
) -> dict[str, Any]:
    """Log one decision and append it to ``audit`` (kept ``ttl_days``, 0: forever); return it."""
    entry: dict[str, Any] = {
        "unit": unit,
        "model": model or "-",
        "decision": decision,
        "decided_at": iso(now),
        **{k: v for k, v in details.items() if v is not None},
    }
    level = logging.ERROR if decision == "error" else logging.INFO
    log(logger, f"{unit}: {decision}", level, **entry)
    audit.append(entry, expires_at=now + timedelta(days=ttl_days) if ttl_days else None)
    return entry


class LogOnly(AuditLog):
    """An ``AuditLog`` that keeps nothing beyond the log line (a deploy function without a
    table)."""

    def append(self, entry: Mapping[str, Any], *, expires_at: datetime | None) -> None:
        return None

    def records(self, unit: str, model: str | None) -> list[dict[str, Any]]:
        return []
