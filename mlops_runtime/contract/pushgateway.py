"""How the monitoring job's gauges reach Prometheus on Kubernetes: the one place the
Pushgateway's grouping key and the job's environment variable are written.

The job (``mlops_runtime.monitoring_job``) publishes the series of ``contract.metrics`` under
their CloudWatch names and dimensions; with ``URL_ENV`` set it pushes them to the Pushgateway
(``mlops_runtime.k8s.pushgateway``) instead of CloudWatch. Each run replaces its group, keyed
``job`` = the metric namespace (``MLOps/<system>``), then the ``GROUPING`` dimensions, so one
model's run never touches another's series and a series the run no longer publishes goes
away. The planner (``mlops_spec.plan.k8s``) selects the same labels in its alerts, and reads
the Pushgateway's own ``PUSH_TIME`` to see that the job ran.

Prometheus must scrape the Pushgateway with ``honor_labels: true`` (a ServiceMonitor's
``honorLabels``), else ``job`` is the scrape job's and the pushed one becomes ``exported_job``.
"""

from __future__ import annotations

from mlops_runtime.contract import metrics as mm

URL_ENV = "MLOPS_PUSHGATEWAY_URL"
"""The Pushgateway's base URL (``http://pushgateway.monitoring.svc:9091``); unset: CloudWatch."""
JOB_LABEL = "job"
"""First label of the grouping key: the metric namespace."""
GROUPING = (mm.MODEL, mm.ENVIRONMENT)
"""The dimensions that complete the grouping key (every gauge of a run carries them)."""
PUSH_TIME = "push_time_seconds"
"""The Pushgateway's gauge of a group's last successful push (Unix seconds)."""
