"""Errors of the planner."""

from __future__ import annotations

import re

from mlops_spec.errors import Loc, dotted

_SPEC_PATH = re.compile(
    r"^(?P<path>(?:system|notifications|data_sources|models|environments)"
    r"(?:\.[A-Za-z0-9_-]+|\[\d+\])*): "
)


def split_spec_path(text: str) -> tuple[Loc, str]:
    """``"models.m.training.platform: kubernetes ..."`` -> (the spec path, the rest); a text
    that does not start with a spec path -> ((), text). How planner errors and notes name
    the part of the spec they are about."""
    match = _SPEC_PATH.match(text)
    if match is None:
        return (), text
    loc: list[str | int] = []
    for part in re.findall(r"[A-Za-z0-9_-]+|\[\d+\]", match["path"]):
        loc.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(loc), text[match.end() :]


class PlanError(ValueError):
    """A validated spec asks for something the AWS components cannot build.

    ``loc`` is the spec path that causes it (``mlops validate`` reports the error at that
    line); without one, a message starting ``"<spec path>: "`` names it.
    """

    def __init__(self, message: str, loc: Loc | None = None) -> None:
        if loc is None:
            loc, message = split_spec_path(message)
        self.loc: Loc = tuple(loc)
        self.message = message
        super().__init__(f"{dotted(self.loc)}: {message}" if self.loc else message)
