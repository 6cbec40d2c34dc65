"""Time helpers (UTC everywhere; ``datetime.UTC`` is avoided for the image's Python 3.10)."""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc  # noqa: UP017 - datetime.UTC needs Python 3.11


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 with millisecond precision and a Z suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
