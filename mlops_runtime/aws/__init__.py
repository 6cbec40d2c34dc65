"""The AWS adapters of the runtime's ports (boto3), and SageMaker's request builders.

| port (``mlops_runtime.core.ports``) | adapter | AWS |
|---|---|---|
| ``ClaimStore``, ``RunLedger`` | ``claims.DynamoClaims``, ``claims.DynamoLedger`` | the runtime table (DynamoDB), conditional writes |
| ``AuditLog`` | ``audit.DynamoAudit`` | the runtime table, one item per record (TTL) |
| ``RunStarter`` | ``pipelines.PipelineRuns`` | ``StartPipelineExecution`` |
| ``ModelRegistry`` | ``registry.SageMakerRegistry`` | model package groups; quality reports in S3 |
| ``RegistryWriter`` | ``registry_writes.SageMakerRegistryWriter`` (and ``registry_approvals.SageMakerApprovals``, ``mlops approve``, ``reject``) | ``UpdateModelPackage`` |
| ``EndpointDeployer`` | ``endpoints.SageMakerEndpoints`` | Model, EndpointConfig, Endpoint; ``scaling`` (Application Auto Scaling) |
| ``MetricsSink`` | ``cloudwatch.CloudWatchMetrics`` | ``PutMetricData`` |
| ``Notifier`` | ``sns.SnsNotifier`` | SNS ``Publish`` |

``endpoint_requests`` builds every SageMaker serving request from an ``EndpointTarget`` (pure);
``clients`` makes the boto3 clients (retries, ``AWS_ENDPOINT_URL``). Each adapter lives in the
module of the unit that needs it, so a unit's code reaches only the calls its role grants.
"""
