"""A mock engine endpoint that keeps what the program logs (``pulumi.log.*``)."""

from __future__ import annotations

import threading
from typing import Any

from pulumi.runtime.proto import engine_pb2


class RecordingEngine:
    """Collects warnings and errors; a real engine fails the update on a logged error."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def Log(self, request: Any) -> None:
        message = f"{request.message} ({request.urn})" if request.urn else request.message
        with self._lock:
            if request.severity == engine_pb2.WARNING:
                self.warnings.append(message)
            elif request.severity == engine_pb2.ERROR:
                self.errors.append(message)

    def RequirePulumiVersion(self, request: Any) -> None:
        """Any version range is satisfied offline."""
