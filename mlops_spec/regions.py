"""Where SageMaker runs: its regions and their partitions, from botocore's endpoint data.

The data is botocore's own ``data/endpoints.json`` (the file behind
``botocore.session.Session.get_available_regions``), read straight from the installed package
(a few milliseconds; importing ``botocore.regions`` would cost about 90 ms of `mlops validate`).
It lists the regional endpoints of ``api.sagemaker`` (SageMaker's ``endpointPrefix``) in each
partition exactly as ``EndpointResolver.get_available_endpoints`` does: names that are regions
of their partition (no ``-fips`` or ``-secondary`` aliases). ``tests/spec/test_regions.py``
checks the two agree for every partition, so a newer botocore brings its regions along.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlops_spec.botocore_cache import cached

ENDPOINT_PREFIX = "api.sagemaker"
"""SageMaker's ``endpointPrefix`` in its service model: the key of its endpoints."""


@dataclass(frozen=True)
class Partition:
    """An AWS partition: its name (``aws``, ``aws-cn``, ...) and its DNS suffix."""

    name: str
    dns_suffix: str


def _botocore_data() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it ships AWS's endpoint data")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@cache
def _endpoints() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_botocore_data() / "endpoints.json").read_bytes())
    return data


@cache
def sagemaker_regions() -> dict[str, Partition]:
    """Every region with a SageMaker endpoint, and its partition (kept between commands:
    ``mlops_spec.botocore_cache``)."""
    endpoints = _botocore_data() / "endpoints.json"
    found = cached(endpoints, "sagemaker-regions", _read_regions, _region_table)
    return {name: Partition(*where) for name, where in found.items()}


def _region_table(value: Any) -> bool:
    """Whether a cached value is what :func:`_read_regions` returns."""
    return isinstance(value, dict) and all(
        isinstance(where, list) and len(where) == 2 and all(isinstance(s, str) for s in where)
        for where in value.values()
    )


def _read_regions() -> dict[str, list[str]]:
    """Region -> [partition, DNS suffix], read from the endpoint data."""
    regions: dict[str, list[str]] = {}
    for partition in _endpoints()["partitions"]:
        service = partition["services"].get(ENDPOINT_PREFIX, {})
        for name in service.get("endpoints", {}):
            if name in partition["regions"]:
                regions[name] = [partition["partition"], partition["dnsSuffix"]]
    return regions


def region_names() -> frozenset[str]:
    """The regions SageMaker runs in (the allowed values of ``system.region``)."""
    return frozenset(sagemaker_regions())


def partition(region: str) -> Partition:
    """The partition of a SageMaker region; a region botocore does not list (refused when the
    spec loads) falls back to the partition whose region pattern it matches, else ``aws``."""
    known = sagemaker_regions().get(region)
    if known is not None:
        return known
    for data in _endpoints()["partitions"]:
        if re.match(data["regionRegex"], region):
            return Partition(data["partition"], data["dnsSuffix"])
    return Partition("aws", "amazonaws.com")


def botocore_version() -> str:
    """The installed botocore's version (named in messages about its region list)."""
    from importlib.metadata import version

    return version("botocore")
