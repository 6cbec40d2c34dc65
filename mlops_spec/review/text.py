"""Text helpers of the review: GitHub's length unit, values shortened in the middle, escaping."""

from __future__ import annotations

import json
from typing import Any

ELLIPSIS = "…"
TIMES = "\u00d7"  # the multiplication sign of "2 x ml.c5.large"


def units(text: str) -> int:
    """Length as GitHub counts a comment body: UTF-16 code units (JavaScript's ``length``)."""
    return len(text.encode("utf-16-le")) // 2


def value_text(value: Any) -> str:
    """A JSON value on one line (strings quoted, as in the plan)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def shorten(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters, keeping both ends."""
    if len(text) <= width:
        return text
    keep = max(width - 1, 2)
    head = (keep + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]


def shorten_pair(old: str, new: str, width: int) -> tuple[str, str]:
    """Both values within ``width`` each, keeping what differs between them.

    The common prefix and suffix are cut first (keeping a little context and both ends), so
    ``.../churn-classifier/12`` -> ``.../churn-classifier/13`` keeps ``/12`` and ``/13``.
    """
    if len(old) <= width and len(new) <= width:
        return old, new
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    middle = max(len(old), len(new)) - prefix - suffix
    room = width - middle - 2  # two ellipses at most
    if room < 8:  # the difference alone is too long: shorten each on its own
        return shorten(old, width), shorten(new, width)
    lead = min(prefix, max(room // 2, room - suffix))
    tail = min(suffix, room - lead)
    return _window(old, prefix, suffix, lead, tail), _window(new, prefix, suffix, lead, tail)


def _window(text: str, prefix: int, suffix: int, lead: int, tail: int) -> str:
    """``text`` with its common prefix squeezed to ``lead`` characters and its common suffix to
    ``tail``, keeping the text's two ends and the context next to the difference."""
    start, end = text[:prefix], text[len(text) - suffix :] if suffix else ""
    if len(start) > lead:
        outer = min(12, lead // 2)  # the very start, then the part next to the difference
        start = start[:outer] + ELLIPSIS + start[len(start) - (lead - outer) :]
    if len(end) > tail:
        outer = min(12, tail // 2)
        end = end[: tail - outer] + ELLIPSIS + end[len(end) - outer :] if outer else ELLIPSIS
    return start + text[prefix : len(text) - suffix] + end


def code(text: str) -> str:
    """Inline code that survives backticks in the value."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
