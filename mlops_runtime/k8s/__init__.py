"""The Kubernetes back end's adapters of the runtime's ports, and the loop controller.

| port | adapter |
|---|---|
| ``ClaimStore``, ``RunLedger``, ``RolloutMemory``, ``AuditLog`` | ``state``: JSON objects written with ``If-None-Match: *`` / ``If-Match: <etag>`` |
| ``ModelRegistry``, ``RegistryWriter`` | ``registry.ObjectRegistry``: ``registry/<model>/versions/<N>/manifest.json`` |
| ``ObjectStore`` | ``aws.objects.S3Objects`` (the S3 API, any endpoint): server-side copy |
| ``RunStarter`` | ``jobs.JobRuns``: a ``batch/v1`` Job from the template ConfigMap |
| ``EndpointDeployer`` | ``rollouts.RolloutEndpoints``: JSON patches of an Argo ``Rollout`` |

``probe.require_conditional_writes`` refuses a store that does not honour conditional writes
(fail closed). ``controller`` is the long-running process (``python -m mlops_runtime.k8s``).
"""
