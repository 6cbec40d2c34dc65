"""The one error an offline preview raises."""

from __future__ import annotations


class PreviewError(Exception):
    """The program could not be previewed: it raised, a registration or invoke failed, or it
    logged an error. ``resource`` names the failing resource when known, ``location`` the line of
    user code (``file:line``) the failure came from."""

    def __init__(
        self, message: str, *, resource: str | None = None, location: str | None = None
    ) -> None:
        text = message if location is None else f"{message}\n  at {location}"
        super().__init__(text)
        self.resource = resource
        self.location = location
