"""Structured JSON logging: one JSON object per line on stdout (CloudWatch Logs friendly)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

from mlops_runtime.core.clock import UTC

_ROOT = "mlops_runtime"


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON: time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, sort_keys=False)


def get_logger(name: str) -> logging.Logger:
    """A logger under ``mlops_runtime`` writing JSON lines to stdout (set up once)."""
    root = logging.getLogger(_ROOT)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False  # the Lambda runtime's root handler would print it twice
    return logging.getLogger(name if name.startswith(_ROOT) else f"{_ROOT}.{name}")


def log(logger: logging.Logger, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``message`` with structured ``fields``."""
    logger.log(level, message, extra={"fields": fields})
