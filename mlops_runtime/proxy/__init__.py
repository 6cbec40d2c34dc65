"""``mlops-proxy``: the sidecar in front of a model container on Kubernetes.

It forwards the SageMaker hosting contract (``/ping``, ``/invocations``) to the model container,
publishes Prometheus series about the invocations (``contract.prometheus``) and writes data
capture in SageMaker's JSONL layout to an S3 API object store, so the monitoring job reads it
unchanged. Configured by ``contract.proxy.ProxyConfig`` in ``MLOPS_RUNTIME_CONFIG``.

Modules: ``server`` (aiohttp forwarding), ``upstream`` (the keep-alive client to the model,
llhttp via httptools), ``metrics`` (prometheus_client registry), ``capture``
(sampling, record layout, the background writer), ``store`` (S3 PutObject), ``run`` (the
process and a thread runner for tests). Imports only ``mlops_runtime.contract`` and ``core``.
"""
