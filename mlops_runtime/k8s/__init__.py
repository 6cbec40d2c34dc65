"""The Kubernetes back end's adapters of the runtime's ports, and the loop controller.

| port | adapter |
|---|---|
| ``ClaimStore``, ``RunLedger``, ``RolloutMemory``, ``AuditLog`` | ``state``: JSON objects written with ``If-None-Match: *`` / ``If-Match: <etag>`` |
| ``ModelRegistry``, ``RegistryWriter`` | ``registry.ObjectRegistry``: ``registry/<model>/versions/<N>/manifest.json`` |
| ``ObjectStore`` | ``aws.objects.S3Objects`` (the S3 API, any endpoint): server-side copy |
| ``RunStarter`` | ``jobs.JobRuns``: a ``batch/v1`` Job from the template ConfigMap |
| ``EndpointDeployer`` | ``rollouts.RolloutEndpoints``: JSON patches of an Argo ``Rollout`` |

| ``MetricsSink`` | ``pushgateway``: the Prometheus Pushgateway (the monitoring job's gauges) |

``probe.require_conditional_writes`` refuses a store that does not honour conditional writes
(fail closed). The controller (``python -m mlops_runtime.k8s``: ``main`` builds it, ``server``
serves it) decides through ``controller.Loop``: ``events`` and ``poll`` turn alerts, schedule
ticks and new objects into the trigger's requests. A training Job's containers run ``fetch``
(inputs in SageMaker's layout) and ``finish`` (upload, profile, ``register``); a schedule
CronJob runs ``schedule_client``.
"""
