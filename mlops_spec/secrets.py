"""Refuse values that look like secrets: the spec is committed, so secrets go by reference."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

Loc = tuple[str | int, ...]

_VALUE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a Slack webhook URL", re.compile(r"https://hooks\.slack\.com/services/\S+")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("a GitHub token", re.compile(r"\b(ghp|gho|ghs|ghu|github_pat)_[0-9A-Za-z_]{20,}")),
    ("an API secret key", re.compile(r"\b(sk|rk)[-_](live_|test_|proj-)?[0-9A-Za-z_-]{20,}")),
    ("a JSON Web Token", re.compile(r"\beyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]{10,}\.")),
    ("a URL with a password", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
]
_AWS_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
"""An AWS secret access key's shape: 40 characters of the base64 alphabet, standing alone."""
_TOKEN = re.compile(r"(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{32,}(?![A-Za-z0-9_+/=-])")
"""A long run of token characters (API keys, bearer tokens, base64 secrets)."""
AWS_SECRET_MIN_ENTROPY = 4.0
"""Bits per character. Hex (SHA-1 digests, 40 characters too) cannot exceed 4.0; 40 random
characters of the base64 alphabet average 4.78 bits (the lowest of 100,000 draws: 4.15)."""
TOKEN_MIN_ENTROPY = 4.5
"""Bits per character for other long tokens: above what words, paths and identifiers reach."""
_SECRET_KEY = re.compile(
    r"(^|[_-])(password|passwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret"
    r"|private[_-]?key|credentials?)$",
    re.IGNORECASE,
)
_REFERENCE_KEY = re.compile(r"_(ssm_parameter|secret_arn|parameter_name|secret_name)$")
"""Keys that name where a secret is kept (an SSM parameter, a Secrets Manager ARN, a
Kubernetes Secret), never the secret itself."""


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixed(token: str) -> bool:
    """Upper case, lower case and digits or symbols together, as generated keys have."""
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() or c in "/+" for c in token)
    )


def _high_entropy(value: str) -> str | None:
    """What a value looks like by its shape and randomness alone, whatever its key."""
    if len(value) < _SHORTEST_TOKEN:
        return None  # both shapes are runs of at least that many characters
    for match in _AWS_SECRET_KEY.finditer(value):
        token = match.group()
        if _mixed(token) and entropy(token) > AWS_SECRET_MIN_ENTROPY:
            return "an AWS secret access key"
    for match in _TOKEN.finditer(value):
        token = match.group()
        if _mixed(token) and entropy(token) >= TOKEN_MIN_ENTROPY:
            return "a high-entropy token (an API key or password)"
    return None


_SHORTEST_TOKEN = 32
"""The fewest characters ``_AWS_SECRET_KEY`` (40) or ``_TOKEN`` (32) matches."""
_VALUE_PATTERN_LITERALS = re.compile(
    r"AKIA|ASIA|PRIVATE KEY|://|xox|gh[posu]_|github_pat_|[sr]k[-_]|eyJ"
)
"""A literal every match of one of ``_VALUE_PATTERNS`` contains (each pattern's in their
order): a value holding none matches none of them and is not searched pattern by pattern."""


def _strings(value: Any, loc: Loc, found: list[tuple[Loc, str]]) -> None:
    """Every string of ``value`` with its path, in document order, appended to ``found``."""
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        if isinstance(child, str):
            found.append(((*loc, key), child))
        elif isinstance(child, (dict, list)):
            _strings(child, (*loc, key), found)


@functools.cache
def _secret_key(key: str) -> bool:
    """``key`` names a secret (and not where one is kept)."""
    return bool(_SECRET_KEY.search(key)) and not _REFERENCE_KEY.search(key)


def find_secrets(data: Any) -> list[tuple[Loc, str]]:
    """(spec path, what it looks like) for every value that looks like a secret."""
    found: list[tuple[Loc, str]] = []
    strings: list[tuple[Loc, str]] = []
    if isinstance(data, str):
        strings.append(((), data))
    _strings(data, (), strings)
    for loc, value in strings:
        key = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
        if _VALUE_PATTERN_LITERALS.search(value):
            what = next((w for w, pattern in _VALUE_PATTERNS if pattern.search(value)), None)
            if what:
                found.append((loc, what))
                continue
        shape = _high_entropy(value)
        if shape:
            found.append((loc, shape))
        elif key and value and _secret_key(key):
            found.append((loc, f"a literal value for {key!r}"))
    return found
