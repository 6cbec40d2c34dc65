"""In-memory adapters of every port: real, thread-safe implementations that keep their state
in the process. They make the decisions testable without an emulator and runnable locally.

| port | adapter |
|---|---|
| ``ClaimStore``, ``RunLedger``, ``AuditLog`` | ``store.MemoryClaims``, ``store.MemoryLedger``, ``store.MemoryAudit`` |
| ``RunStarter``, ``MetricsSink``, ``Notifier`` | ``services.MemoryRuns``, ``services.MemoryMetrics``, ``services.MemoryNotifier`` |
| ``ModelRegistry``, ``RegistryWriter`` | ``registry.MemoryRegistry`` |
| ``EndpointDeployer`` | ``endpoints.MemoryEndpoints`` |
"""
