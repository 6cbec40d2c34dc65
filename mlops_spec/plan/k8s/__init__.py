"""The Kubernetes planner: a ``platform: kubernetes`` stack's cluster objects as manifests.

Pure like the rest of ``mlops_spec.plan``: no pulumi, no cluster. ``plan_kubernetes`` returns a
``KubernetesPlan`` whose manifests the components in ``mlops_components.k8s`` create as they are.
"""

from mlops_spec.plan.k8s.manifests import Manifest
from mlops_spec.plan.k8s.operators import Operator
from mlops_spec.plan.k8s.plan import KubernetesPlan, plan_kubernetes

__all__ = ["KubernetesPlan", "Manifest", "Operator", "plan_kubernetes"]
