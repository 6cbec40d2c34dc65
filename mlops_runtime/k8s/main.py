"""Building the controller from its configuration: the adapters, the probe, the event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from mlops_runtime.aws.objects import S3Objects
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.controller import ControllerConfig
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.core.reconcile import DeployPorts
from mlops_runtime.core.retraining import TriggerPorts
from mlops_runtime.k8s.controller import Loop
from mlops_runtime.k8s.jobs import JobRuns
from mlops_runtime.k8s.kube import ApiServer
from mlops_runtime.k8s.poll import DataPoller
from mlops_runtime.k8s.probe import StoreNotSafe, require_conditional_writes
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.rollouts import RolloutEndpoints
from mlops_runtime.k8s.server import serve
from mlops_runtime.k8s.state import ObjectAudit, ObjectClaims, ObjectLedger, ObjectRolloutMemory
from mlops_runtime.k8s.store import Bucket, s3_client

_LOG = get_logger("controller")


def build(config: ControllerConfig, api: ApiServer | None = None, s3: Any = None) -> Loop:
    """The controller on its adapters, after the store's probe (raises ``StoreNotSafe``);
    ``api``: the in-cluster API server unless given."""
    s3 = s3 or s3_client(config.store)
    bucket = Bucket.from_settings(config.store, s3)
    require_conditional_writes(bucket)
    api = api or ApiServer.in_cluster(config.api_server)
    registry = ObjectRegistry(bucket)
    audit = ObjectAudit(bucket)
    templates = {
        m.rollout: m.rollout_template
        for m in config.models.values()
        if m.rollout and m.rollout_template
    }
    trigger_config = config.trigger_config()
    loop = Loop(
        config=config,
        trigger=TriggerPorts(
            claims=ObjectClaims(bucket),
            ledger=ObjectLedger(bucket),
            runs=JobRuns(api, config.namespace),
            audit=audit,
        ),
        deploy=DeployPorts(
            registry=registry,
            endpoints=RolloutEndpoints(api, config.namespace, registry, templates),
            audit=audit,
            memory=ObjectRolloutMemory(bucket),
            objects=S3Objects(s3),
        ),
        poller=DataPoller(s3, bucket, trigger_config) if config.data_sources else None,
        ensure_group=registry.ensure_group,
    )
    loop.start()
    return loop


def main() -> int:
    """Exit 2 on a bad configuration, 1 on an unsafe store; else serve until SIGTERM."""
    try:
        config = ControllerConfig.from_env()
    except (ConfigError, ValueError) as error:
        log(_LOG, "invalid controller configuration", logging.ERROR, error=str(error))
        return 2
    try:
        loop = build(config)
    except StoreNotSafe as error:
        log(
            _LOG, "refusing to start: the object store is not safe", logging.ERROR, error=str(error)
        )
        return 1
    asyncio.run(_serve(loop))
    return 0


async def _serve(loop: Loop) -> None:
    stopping = asyncio.Event()
    running = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        running.add_signal_handler(signum, stopping.set)
    await serve(loop, stopping)
