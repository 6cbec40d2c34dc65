"""Helpers for code running as a SageMaker Processing job."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mlops_runtime.core.logs import get_logger, log

EXIT_MESSAGE = Path("/opt/ml/output/message")
"""SageMaker reports the first 1 KB of this file as the job's ExitMessage."""

logger = get_logger(__name__)


def fail(message: str, exit_code: int, exit_message: Path = EXIT_MESSAGE) -> int:
    """Log and print a failure, record it as the job's ExitMessage; return ``exit_code``."""
    log(logger, message, logging.ERROR, exit_code=exit_code)
    print(message, file=sys.stderr)
    if exit_message.parent.parent.is_dir():  # only inside the container (/opt/ml exists)
        exit_message.parent.mkdir(parents=True, exist_ok=True)
        exit_message.write_text(message[:1024], encoding="utf-8")
    return exit_code
