"""SageMaker in memory for the endpoint providers: the runtime's ``MemoryEndpoints`` (the
rollout's port, behaving as SageMaker's endpoints do) plus the ``EndpointAdmin`` port: tags
from the requests, deletes, listings by tag, alarms in ALARM. A clock whose ``sleep`` moves
time on, so no test waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_components.endpoint_admin import EndpointAdmin, Owned
from mlops_runtime.core.ports import EndpointDeployer, Release
from mlops_runtime.memory.endpoints import MemoryEndpoints


class Clock:
    """``now`` starts at a fixed instant; ``sleep`` moves it on and counts the naps."""

    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)
        self.naps = 0

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.naps += 1
        self.at += timedelta(seconds=seconds)


def _tags(request: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in request.get("Tags", [])}


class FakeSageMaker(MemoryEndpoints, EndpointAdmin):
    """Both ports over one in-memory account; ``tags`` by (kind, name), ``firing`` alarms."""

    def __init__(self, *, settle_after: int = 0) -> None:
        super().__init__(settle_after=settle_after)
        self.tags: dict[tuple[str, str], dict[str, str]] = {}
        self.config_models: dict[str, tuple[str, ...]] = {}
        self.firing: set[str] = set()
        self.regions: list[str] = []

    def backends(self, region: str) -> tuple[EndpointDeployer, EndpointAdmin]:
        """The providers' ``backends``: this account, whatever the region (recorded)."""
        self.regions.append(region)
        return self, self

    # --- the rollout's port, recording what the requests carry -----------------------------

    def prepare(self, release: Release) -> None:
        super().prepare(release)
        config = release.requests["endpoint_config"]
        models = tuple(v["ModelName"] for v in config["ProductionVariants"])
        self.config_models.setdefault(release.config_name, models)
        self.tags.setdefault(("model", release.model_name), _tags(release.requests["model"]))
        self.tags.setdefault(("config", release.config_name), _tags(config))

    def create(self, release: Release) -> None:
        super().create(release)
        self.tags[("endpoint", release.endpoint)] = _tags(release.requests["endpoint"])

    def serve(self, release: Release) -> None:
        """An endpoint InService on ``release``, tagged as its requests say."""
        super().serve(release)
        self.tags[("endpoint", release.endpoint)] = _tags(release.requests["endpoint"])

    # --- the admin port ---------------------------------------------------------------------

    def tag_endpoint(self, endpoint: str, tags: Mapping[str, str]) -> None:
        self.tags.setdefault(("endpoint", endpoint), {}).update(tags)
        self.calls.append(("add_tags", endpoint))

    def models_of(self, config_name: str) -> tuple[str, ...]:
        return self.config_models.get(config_name, ()) if config_name in self.revisions else ()

    def delete_endpoint(self, endpoint: str) -> bool:
        if endpoint not in self.endpoints:
            return False
        for name, variant in list(self.scaling):
            if name == endpoint:
                self.remove_autoscaling(name, variant)
        del self.endpoints[endpoint]
        self.calls.append(("delete_endpoint", endpoint))
        return True

    def delete_config(self, config_name: str) -> bool:
        if self.revisions.pop(config_name, None) is None:
            return False
        self.calls.append(("delete_endpoint_config", config_name))
        return True

    def delete_model(self, model_name: str) -> bool:
        if model_name not in self.models:
            return False
        self.models.discard(model_name)
        self.calls.append(("delete_model", model_name))
        return True

    def owned(self, prefix: str, tags: Mapping[str, str]) -> Owned:
        def holds(kind: str, name: str) -> bool:
            found = self.tags.get((kind, name), {})
            return prefix in name and all(found.get(k) == v for k, v in tags.items())

        return Owned(
            endpoints=tuple(sorted(n for n in self.endpoints if holds("endpoint", n))),
            configs=tuple(sorted(n for n in self.revisions if holds("config", n))),
            models=tuple(sorted(n for n in self.models if holds("model", n))),
        )

    def alarms_in_alarm(self, names: Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted(n for n in names if n in self.firing))
