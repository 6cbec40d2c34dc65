"""``system.kubernetes``: the cluster profile a ``platform: kubernetes`` system is served on.

Everything the planner needs to know about a cluster it cannot discover offline: where the
system's objects go, which operators' selectors pick up its custom resources, and where its
pods may run. The cluster and its operators are the team's; nothing here creates them.
"""

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints, model_validator

from mlops_spec.models.base import SpecModel
from mlops_spec.types import PATTERN_NAMES, ImageUri

K8S_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
K8sName = Annotated[str, StringConstraints(max_length=63, pattern=K8S_NAME_PATTERN)]
"""A DNS-1123 label: a namespace, Secret, ServiceAccount or queue name."""
LABEL_KEY_PATTERN = (
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE_PATTERN = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
HTTP_URL_PATTERN = r"^https?://[A-Za-z0-9.\-]+(:\d+)?(/\S*)?$"
DOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$"
ISTIO_GATEWAY_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
LabelKey = Annotated[str, StringConstraints(max_length=253, pattern=LABEL_KEY_PATTERN)]
LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE_PATTERN)]
SecretKey = Annotated[str, StringConstraints(max_length=253, pattern=SECRET_KEY_PATTERN)]
HttpUrl = Annotated[str, StringConstraints(max_length=2048, pattern=HTTP_URL_PATTERN)]
Labels = dict[LabelKey, LabelValue]
Domain = Annotated[str, StringConstraints(max_length=189, pattern=DOMAIN_PATTERN)]
"""A DNS domain the models' hosts are made under (``<workload>.<domain>``: 63 + 1 + 189 = 253)."""
IstioGateway = Annotated[str, StringConstraints(max_length=127, pattern=ISTIO_GATEWAY_PATTERN)]

PATTERN_NAMES.update(
    {
        K8S_NAME_PATTERN: "a Kubernetes name: lowercase letters, digits and '-', starting and "
        "ending with a letter or digit, at most 63 characters",
        LABEL_KEY_PATTERN: "a label key: an optional DNS prefix and '/', then "
        "letters, digits, '-', '_' and '.' (at most 63)",
        LABEL_VALUE_PATTERN: "a label value: letters, digits, '-', '_' and '.', "
        "starting and ending with a letter or digit (or empty)",
        SECRET_KEY_PATTERN: "a Secret key: letters, digits, '-', '_' and '.'",
        HTTP_URL_PATTERN: "an http:// or https:// URL",
        DOMAIN_PATTERN: "a DNS domain of two labels or more: lowercase letters, digits, '-' "
        "and '.', e.g. ml.example.com",
        ISTIO_GATEWAY_PATTERN: "an Istio Gateway as <namespace>/<name>, e.g. istio-ingress/public",
    }
)


class Namespace(SpecModel):
    """The namespace every resource of the stack lives in."""

    name: K8sName
    """Namespace name (a DNS label, at most 63 characters)."""
    create: StrictBool = True
    """Create the namespace (and delete it on destroy). Default: true — Pulumi creates it,
    labelled like every other resource; false uses an existing namespace."""


class SecretRef(SpecModel):
    """A key of a Secret in the stack's namespace (the spec never holds the secret)."""

    name: K8sName
    """Secret name."""
    key: SecretKey
    """Key within the Secret."""


class ObjectStore(SpecModel):
    """Where data capture and the monitoring job's reports go: AWS S3 or an S3-compatible
    store. Never deployed by this project."""

    kind: Literal["s3", "s3_compatible"] = "s3"
    """s3 | s3_compatible. Default: s3 — the system's own AWS buckets (the storage component),
    reached with the pods' service account."""
    endpoint: HttpUrl | None = None
    """The store's S3 API URL (s3_compatible only), e.g. `http://minio.storage:9000`.
    Default: unset — required for s3_compatible, refused for s3."""
    bucket: K8sName | None = None
    """The existing bucket capture and reports are written to (s3_compatible only).
    Default: unset — required for s3_compatible; with s3 the system's capture bucket is
    used."""
    credentials_secret_name: K8sName | None = None
    """Secret holding `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for the store
    (s3_compatible only). Default: unset — required for s3_compatible; with s3 the service
    account's role is used."""

    @model_validator(mode="after")
    def _kind_fields(self) -> "ObjectStore":
        compatible = {"endpoint": self.endpoint, "bucket": self.bucket}
        compatible["credentials_secret_name"] = self.credentials_secret_name
        if self.kind == "s3_compatible":
            missing = [k for k, v in compatible.items() if v is None]
            if missing:
                raise ValueError(f"kind s3_compatible needs {', '.join(missing)}")
        else:
            given = [k for k, v in compatible.items() if v is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} apply to kind s3_compatible only; kind s3 uses the "
                    "system's own buckets and the service account's role"
                )
        return self


class Prometheus(SpecModel):
    """The Prometheus Operator's Prometheus that scrapes the models and evaluates alerts."""

    url: HttpUrl
    """Prometheus' HTTP API as the cluster reaches it, e.g.
    `http://prometheus-operated.monitoring.svc:9090` (the rollout analysis queries it)."""
    rule_selector_labels: Labels = Field(default_factory=dict)
    """Labels its `ruleSelector` matches, put on every PrometheusRule. Default: none — only a
    Prometheus selecting every rule (an empty selector) loads them."""
    monitor_selector_labels: Labels = Field(default_factory=dict)
    """Labels its `serviceMonitorSelector` matches, put on every ServiceMonitor.
    Default: none — only a Prometheus selecting every ServiceMonitor scrapes the models."""


class Alertmanager(SpecModel):
    """The Prometheus Operator's Alertmanager that routes the models' alerts."""

    config_selector_labels: Labels = Field(default_factory=dict)
    """Labels its `alertmanagerConfigSelector` matches, put on the AlertmanagerConfig.
    Default: none — only an Alertmanager selecting every AlertmanagerConfig loads it."""
    webhook_secret: SecretRef | None = None
    """A Secret key holding a chat webhook URL (Slack-compatible) alerts are posted to.
    Default: unset — alerts go to `notifications.emails` only."""


class Toleration(SpecModel):
    """A toleration of a node pool's taint."""

    key: LabelKey
    """Taint key, e.g. `nvidia.com/gpu`."""
    operator: Literal["Equal", "Exists"] = "Equal"
    """Equal | Exists. Default: Equal — the taint's value must equal `value`."""
    value: LabelValue | None = None
    """Taint value (operator Equal). Default: unset — matches an empty value."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """NoSchedule | PreferNoSchedule | NoExecute. Default: unset — tolerates every effect."""


class NodePool(SpecModel):
    """Where pods of one kind run: a node selector and the tolerations of its taints."""

    node_selector: Labels = Field(default_factory=dict)
    """Node labels a pod requires, e.g. `{karpenter.sh/capacity-type: spot}`.
    Default: none — the pod may run on any node."""
    tolerations: list[Toleration] = Field(default_factory=list)
    """Taints the pod tolerates. Default: none — tainted nodes are avoided."""


class NodePools(SpecModel):
    """Node pools by purpose."""

    default: NodePool = Field(default_factory=NodePool)
    """Pods that need no GPU. Default: no selector — they run on any untainted node."""
    gpu: NodePool | None = None
    """Pods that request GPUs (`gpu` > 0). Default: unset — GPU requests are refused."""
    spot: NodePool | None = None
    """Interruptible work (training with `spot`, issue 13). Default: unset — spot capacity is
    not used."""


TrafficRouter = Literal["none", "gateway_api", "istio", "nginx"]


class NginxRouting(SpecModel):
    """`traffic_router: nginx`: each real-time model gets an Ingress for its stable Service
    at `<workload>.<domain>`; Argo Rollouts creates the canary Ingress beside it and sets its
    `canary-weight` at each step (ingress-nginx)."""

    ingress_class: K8sName
    """The IngressClass of the ingress-nginx controller, e.g. `nginx`."""
    domain: Domain
    """DNS domain the models are reached under: model `churn-classifier` of stack prod is
    `https://churnk-prod-churn-classifier.<domain>` (a wildcard record points at the
    controller)."""
    tls_secret_name: K8sName | None = None
    """Existing Secret (type kubernetes.io/tls) with a certificate for `*.<domain>`.
    Default: unset — the Ingress terminates no TLS (the controller's default certificate,
    if any, is served)."""


class GatewayRef(SpecModel):
    """The Gateway (Gateway API) the models' HTTPRoutes attach to."""

    name: K8sName
    """Gateway name."""
    namespace: K8sName | None = None
    """Gateway namespace. Default: unset — the stack's namespace (a Gateway elsewhere must
    allow routes from it: `listeners[].allowedRoutes.namespaces`)."""
    section_name: K8sName | None = None
    """Listener of the Gateway the routes attach to. Default: unset — every listener that
    allows them."""


class GatewayApiRouting(SpecModel):
    """`traffic_router: gateway_api`: each real-time model gets an HTTPRoute with its stable
    and canary Services as weighted backends; Argo Rollouts' Gateway API plugin
    (`argoproj-labs/gatewayAPI`) sets the weights at each step."""

    gateway: GatewayRef
    """The Gateway the HTTPRoutes attach to (`parentRefs`)."""
    domain: Domain
    """DNS domain the models are reached under: each HTTPRoute matches the hostname
    `<workload>.<domain>`."""


class IstioRouting(SpecModel):
    """`traffic_router: istio`: each real-time model gets a VirtualService splitting its host
    between the stable and the canary Service (host-level split, no DestinationRule);
    Argo Rollouts sets the weights at each step."""

    gateways: list[IstioGateway] = Field(default_factory=list)
    """Istio Gateways (`<namespace>/<name>`) that also route to the models, from outside the
    mesh. Default: none — only in-mesh clients calling the model's Service are split (the
    `mesh` gateway)."""
    domain: Domain | None = None
    """DNS domain the models are reached under through `gateways`: each VirtualService also
    matches `<workload>.<domain>`. Default: unset — required with gateways."""

    @model_validator(mode="after")
    def _domain_with_gateways(self) -> "IstioRouting":
        if self.gateways and self.domain is None:
            raise ValueError(
                "gateways need a domain: the VirtualService matches <workload>.<domain> at "
                "those gateways (set domain, e.g. ml.example.com)"
            )
        return self


class KubernetesProfile(SpecModel):
    """The cluster a `platform: kubernetes` system is served on."""

    namespace: Namespace
    """The stack's namespace (created or existing)."""
    runtime_image: ImageUri
    """The project's runtime image (docker/runtime.Dockerfile, with a tag or digest): the
    mlops-proxy sidecar, the model fetcher and the monitoring job run from it."""
    service_account: K8sName
    """Existing ServiceAccount the model pods run as, bound to an AWS role (IRSA or EKS Pod
    Identity) that may read the model packages and their artifacts and, with an s3 object
    store, write capture (the plan's notes list what it needs)."""
    object_store: ObjectStore = Field(default_factory=ObjectStore)
    """Where capture and reports go. Default: kind s3 — the system's AWS buckets."""
    prometheus: Prometheus
    """Prometheus (URL and selector labels)."""
    alertmanager: Alertmanager = Field(default_factory=Alertmanager)
    """Alertmanager (config selector labels, chat webhook). Default: no labels — only an
    Alertmanager selecting every AlertmanagerConfig routes the alerts, to e-mail only."""
    pushgateway_url: HttpUrl
    """Prometheus Pushgateway the monitoring job pushes its gauges to, e.g.
    `http://pushgateway.monitoring.svc:9091`."""
    node_pools: NodePools = Field(default_factory=NodePools)
    """Node selectors and tolerations by purpose. Default: none — pods run on any untainted
    node; GPU and spot pools are not used."""
    traffic_router: TrafficRouter = "none"
    """none | gateway_api | istio | nginx: how a canary's traffic share is set. With a router
    the canary gets exactly each step's percent of the requests through the router (set its
    block: `nginx`, `gateway_api` or `istio`). Default: none — the canary's share is its
    share of the replicas (the plan prints it)."""
    nginx: NginxRouting | None = None
    """The ingress-nginx routes (`traffic_router: nginx` only). Default: unset — required
    with traffic_router nginx."""
    gateway_api: GatewayApiRouting | None = None
    """The Gateway API routes (`traffic_router: gateway_api` only). Default: unset —
    required with traffic_router gateway_api."""
    istio: IstioRouting | None = None
    """The Istio routes (`traffic_router: istio` only). Default: unset — in-mesh routing
    only (no gateways)."""
    kueue_queue: K8sName | None = None
    """Kueue LocalQueue batch Jobs are submitted to. Default: unset — Jobs start without
    Kueue admission."""


Platform = Literal["aws", "kubernetes"]
