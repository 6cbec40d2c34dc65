"""Pinned endpoints: a Pulumi dynamic resource that runs the one rollout during ``pulumi up``.

``PinnedEndpoint`` (type ``pulumi-python:dynamic/mlops:Endpoint``) takes the planned
``EndpointTarget`` (the runtime contract), the pinned package's ARN, the plan's region and how
long to wait. Its provider builds the SageMaker requests with
``mlops_runtime.aws.endpoint_requests`` and runs ``mlops_runtime.core.rollout.Rollout``, the
rollout the deploy function runs for ``latest_approved`` endpoints:

- create: CreateModel, CreateEndpointConfig (content-hashed names), CreateEndpoint, wait until
  InService, register the variant's autoscaling. An endpoint of that name that already exists
  (a stack moving from the former ``aws.sagemaker`` resources, or a model moving from
  ``latest_approved``) is adopted: tagged as Pulumi's and updated like below, never recreated.
- update: a new model and config when their requests change, a blue/green UpdateEndpoint with
  the spec's canary or linear steps and the rollback alarms, a wait, then verification that the
  endpoint serves the new config. An auto-rollback fails the deployment with a message naming
  the alarms in ALARM (the AWS provider reports it as success:
  hashicorp/terraform-provider-aws#48997); the previous model and config are deleted only after
  the new ones are verified. Changing the instance type of an autoscaled variant deregisters its
  scaling first and registers it again after the update (SageMaker refuses the update
  otherwise). A change that leaves the config as it is (rollback alarms, traffic shifting,
  autoscaling bounds) calls no UpdateEndpoint.
- delete: the endpoint (its scaling deregistered first), then its configs and models.
- diff: only ``endpointName`` and ``region`` replace the resource; every other input, the
  rollback alarms included, is an update in place.

It calls AWS with boto3's default credentials in the plan's region, not with the Pulumi ``aws``
provider's configuration (``endpoint_admin.aws_backends``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN

from mlops_runtime.contract.config import ConfigError, DeployConfig, EndpointTarget
from mlops_runtime.core.clock import utcnow

if TYPE_CHECKING:  # the rollout's modules are imported by the provider's calls, not the program
    from mlops_components.endpoint_admin import EndpointAdmin
    from mlops_runtime.core.ports import EndpointDeployer, EndpointState, Release
    from mlops_runtime.core.rollout import Rollout, RolloutResult

    Backends = Callable[[str], tuple[EndpointDeployer, EndpointAdmin]]

TYPE = "pulumi-python:dynamic/mlops:Endpoint"
INPUTS = ("endpointName", "region", "packageArn", "target", "waitMinutes")
REPLACED_BY = ("endpointName", "region")
"""The inputs whose change replaces the endpoint (a new name, or another region)."""


class RolloutError(RuntimeError):
    """The endpoint does not serve what the stack asked for; the message says why and what
    was kept."""


@dataclass(frozen=True)
class EndpointInputs:
    """A ``PinnedEndpoint``'s inputs, parsed."""

    endpoint: str
    region: str
    package_arn: str
    target: EndpointTarget
    wait: timedelta

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> EndpointInputs:
        data = _integral(dict(props["target"]))
        # The contract's loader checks every field (DeployConfig holds EndpointTargets).
        config = DeployConfig.from_dict({"system": "pinned", "endpoints": {"target": data}})
        return cls(
            endpoint=str(props["endpointName"]),
            region=str(props["region"]),
            package_arn=str(props["packageArn"]),
            target=config.endpoints["target"],
            wait=timedelta(minutes=float(props["waitMinutes"])),
        )


def target_data(target: EndpointTarget) -> dict[str, Any]:
    """``target`` as plain JSON data (the ``target`` input)."""
    data: dict[str, Any] = json.loads(json.dumps(asdict(target)))
    return data


def _integral(value: Any) -> Any:
    """Whole floats as ints (the engine sends every number as a double)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


class EndpointProvider(ResourceProvider):
    """Creates, updates and deletes one pinned endpoint through the one rollout.

    ``backends`` (default: boto3 in the input's region), ``now``, ``sleep`` and
    ``poll_seconds`` (default: the rollout's) are injected by tests; the pickled provider
    carries none of them. The rollout's modules (and boto3) are imported by the calls that
    run it, not with this module: a Pulumi program registering the resource never needs them.
    """

    serialize_as_secret_always = False  # it captures no secret: keep the state readable

    def __init__(
        self,
        backends: Backends | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.backends = backends
        self.now = now
        self.sleep = sleep
        self.poll_seconds = poll_seconds

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        if any(_unknown(news.get(key)) for key in INPUTS):
            return CheckResult(news, [])  # a preview before the key or role exists: later
        try:
            EndpointInputs.parse(news)
        except (ConfigError, KeyError, TypeError, ValueError) as error:
            return CheckResult(news, [CheckFailure("target", str(error))])
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUTS if olds.get(key) != news.get(key)]
        replaces = [key for key in REPLACED_BY if key in changed]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = EndpointInputs.parse(props)
        outs = _Run(self, inputs).deploy()
        return CreateResult(id_=inputs.endpoint, outs={**_inputs_of(props), **outs})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = _Run(self, EndpointInputs.parse(news)).deploy()
        return UpdateResult(outs={**_inputs_of(news), **outs})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = EndpointInputs.parse(props)
        created = (props.get("endpointConfigName"), props.get("modelName"))
        _Run(self, inputs).delete(*created)

    def rollout(self, endpoints: EndpointDeployer) -> Rollout:
        from mlops_runtime.core.rollout import POLL_SECONDS, Rollout

        return Rollout(
            endpoints,
            now=self.now or utcnow,
            sleep=self.sleep or time.sleep,
            poll_seconds=POLL_SECONDS if self.poll_seconds is None else self.poll_seconds,
        )

    def connect(self, region: str) -> tuple[EndpointDeployer, EndpointAdmin]:
        from mlops_components.endpoint_admin import aws_backends

        return (self.backends or aws_backends)(region)


def _unknown(value: Any) -> bool:
    """A value the engine does not know yet (during a preview), anywhere inside ``value``."""
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_unknown(v) for v in value)
    return False


def _inputs_of(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: props[key] for key in INPUTS if key in props}


class _Run:
    """One create, update or delete of one endpoint."""

    def __init__(self, provider: EndpointProvider, inputs: EndpointInputs) -> None:
        self.endpoints, self.admin = provider.connect(inputs.region)
        self.rollout = provider.rollout(self.endpoints)
        self.inputs = inputs
        self.release: Release = self.endpoints.release(inputs.target, inputs.package_arn)

    def deploy(self) -> dict[str, Any]:
        """Bring the endpoint onto the release and verify it; the outputs to record."""
        from mlops_runtime.core.rollout import DEPLOYED

        state = self._settled()
        if state is not None:  # adopted, or ours already: Pulumi's from now on
            self.admin.tag_endpoint(self.inputs.endpoint, self.inputs.target.tags)
        result = self.rollout.apply(self.release, state=state, wait=self.inputs.wait, exact=True)
        self._require_served(result)
        self._scale(result)
        previous = result.details.get("previous_config")
        if result.outcome == DEPLOYED and previous and previous != self.release.config_name:
            self._retire(previous)
        return {
            "modelName": self.release.model_name,
            "endpointConfigName": self.release.config_name,
        }

    def delete(self, config: str | None, model: str | None) -> None:
        """The endpoint (scaling first), then the configs and models it served."""
        state = self._settled()
        configs = {c for c in (config, state.config_name if state else None) if c}
        if state is not None:
            self.admin.delete_endpoint(self.inputs.endpoint)
            self._gone()
        models = {m for c in configs for m in self.admin.models_of(c)} | ({model} - {None})
        for name in sorted(configs):
            self.admin.delete_config(name)
        for name in sorted(m for m in models if m):
            self.admin.delete_model(name)

    # --- steps ------------------------------------------------------------------------------

    def _settled(self) -> EndpointState | None:
        """The endpoint's state once no rollout runs on it (an interrupted ``pulumi up`` or a
        deployment started elsewhere), waiting at most the input's wait."""
        from mlops_runtime.core.rollout import BUSY

        deadline = self.rollout.now() + self.inputs.wait
        state = self.endpoints.describe(self.inputs.endpoint)
        while state is not None and state.status in BUSY and self.rollout.now() < deadline:
            self.rollout.sleep(self.rollout.poll_seconds)
            state = self.endpoints.describe(self.inputs.endpoint)
        if state is not None and state.status in BUSY:
            raise RolloutError(
                f"endpoint {self.inputs.endpoint} is still {state.status} after "
                f"{self.inputs.wait} (a rollout that did not start here); run `pulumi up` "
                "again once it has ended"
            )
        return state

    def _gone(self) -> None:
        deadline = self.rollout.now() + self.inputs.wait
        while self.endpoints.describe(self.inputs.endpoint) is not None:
            if self.rollout.now() >= deadline:
                raise RolloutError(
                    f"endpoint {self.inputs.endpoint} is still being deleted after "
                    f"{self.inputs.wait}"
                )
            self.rollout.sleep(self.rollout.poll_seconds)

    def _require_served(self, result: RolloutResult) -> None:
        """Pass only when the endpoint serves the release; else say why and what was kept."""
        from mlops_runtime.core.rollout import ALREADY_DEPLOYED, CREATED, DEPLOYED, ROLLED_BACK

        if result.outcome == ALREADY_DEPLOYED or (
            result.outcome in (CREATED, DEPLOYED) and result.verified
        ):
            return
        name, details = self.inputs.endpoint, result.details
        if result.outcome == ROLLED_BACK:
            self._discard()
            raise RolloutError(self._rollback_message(details))
        reason = details.get("reason") or result.outcome
        if details.get("timed_out"):
            raise RolloutError(
                f"endpoint {name}: the rollout onto {self.release.config_name} did not end "
                f"within {self.inputs.wait} ({reason}); it may still finish or roll back: see "
                f"`aws sagemaker describe-endpoint --endpoint-name {name}` and run `pulumi up` "
                "again (it waits for the rollout and verifies it)"
            )
        raise RolloutError(
            f"endpoint {name} does not serve {self.release.config_name}: {reason} "
            f"(outcome {result.outcome}). A failed endpoint must be deleted "
            f"(`aws sagemaker delete-endpoint --endpoint-name {name}`) before `pulumi up` can "
            "create it again"
        )

    def _rollback_message(self, details: Mapping[str, Any]) -> str:
        alarms = self.inputs.target.rollback_alarms
        firing = self.admin.alarms_in_alarm(alarms)
        which = (
            f"rollback alarm(s) in ALARM now: {', '.join(firing)}"
            if firing
            else f"one of its rollback alarms fired ({', '.join(alarms) or 'none configured'}; "
            "none is in ALARM any more)"
        )
        return (
            f"endpoint {self.inputs.endpoint} was rolled back by SageMaker's auto-rollback: "
            f"{details.get('reason')}; {which}. The blue/green update onto "
            f"{self.release.config_name} (package {self.inputs.package_arn}) did not pass; the "
            "endpoint keeps serving its previous model and config, and the new ones were "
            "deleted. Fix the package or the settings, then run `pulumi up` again"
        )

    def _scale(self, result: RolloutResult) -> None:
        """Register the variant's scaling once the endpoint serves the release (after a
        create, or an update that had to deregister it); remove it when the spec has none."""
        from mlops_runtime.core.rollout import SCALING_PENDING

        release, scaling = self.release, self.inputs.target.autoscaling
        if release.instance_type is None:
            return  # serverless: nothing to scale
        if scaling is None:
            self.endpoints.remove_autoscaling(release.endpoint, release.variant)
        elif result.details.get("autoscaling") == SCALING_PENDING:
            self.rollout.scale(release.endpoint, release.variant, scaling)

    def _retire(self, previous: str) -> None:
        """Delete the config the endpoint served before, and its models but the release's."""
        models = self.admin.models_of(previous)
        self.admin.delete_config(previous)
        for model in models:
            if model != self.release.model_name:
                self.admin.delete_model(model)

    def _discard(self) -> None:
        """After a rollback: delete the release's config and model unless the endpoint still
        serves them."""
        state = self.endpoints.describe(self.inputs.endpoint)
        served = state.config_name if state else None
        if served == self.release.config_name:
            return
        kept = set(self.admin.models_of(served)) if served else set()
        self.admin.delete_config(self.release.config_name)
        if self.release.model_name not in kept:
            self.admin.delete_model(self.release.model_name)


class PinnedEndpoint(pulumi.dynamic.Resource, module="mlops", name="Endpoint"):
    """A pinned model's SageMaker endpoint, deployed by the one rollout (see the module)."""

    endpointName: pulumi.Output[str]
    """The endpoint's name, once the resource is created or updated."""

    def __init__(
        self,
        name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        provider: EndpointProvider | None = None,
    ) -> None:
        unknown = sorted(set(props) - set(INPUTS))
        if unknown:
            raise ValueError(f"PinnedEndpoint {name}: unknown inputs {unknown}")
        super().__init__(provider or EndpointProvider(), name, dict(props), opts)
