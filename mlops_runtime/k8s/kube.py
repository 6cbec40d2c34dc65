"""A small client of the Kubernetes API server (plain HTTPS, the service account's token).

The controller makes a handful of calls (get a ConfigMap, create a Job, get / create / patch
a Rollout), so it speaks JSON over ``urllib`` instead of carrying the ``kubernetes`` client.
In a pod the API server is ``https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT``,
authenticated with the projected service-account token (re-read on every call: the kubelet
rotates it) and verified with the service-account CA. Every write names the controller's
field manager.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from mlops_runtime.contract.controller import FIELD_MANAGER
from mlops_runtime.core.ports import AlreadyExists

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
JSON_PATCH = "application/json-patch+json"
TIMEOUT_SECONDS = 15


class ApiError(RuntimeError):
    """The API server refused a request (``status``: the HTTP status)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class ApiServer:
    """``get``, ``create`` and ``patch`` of namespaced objects by path."""

    def __init__(
        self,
        base_url: str,
        *,
        token_file: Path | None = None,
        ca_file: Path | None = None,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_file = token_file
        self.token = token
        self.context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None

    @classmethod
    def in_cluster(cls, base_url: str | None = None) -> ApiServer:
        """The API server of the pod's cluster (or ``base_url``), with its service account."""
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        url = base_url or f"https://{host}:{port}"
        return cls(url, token_file=SERVICE_ACCOUNT / "token", ca_file=SERVICE_ACCOUNT / "ca.crt")

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``; None when it does not exist."""
        try:
            return self._call("GET", path)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to the collection ``path``. Raises ``AlreadyExists`` on 409."""
        try:
            return self._call("POST", path, body, "application/json")
        except ApiError as error:
            if error.status == 409:
                raise AlreadyExists(str(error)) from error
            raise

    def patch(self, path: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply a JSON patch (RFC 6902; its ``test`` operations make it fail, 422, if the
        object changed)."""
        return self._call("PATCH", path, operations, JSON_PATCH)

    def _call(
        self, method: str, path: str, body: Any = None, content_type: str | None = None
    ) -> dict[str, Any]:
        query = f"?{urllib.parse.urlencode({'fieldManager': FIELD_MANAGER})}" if body else ""
        request = urllib.request.Request(
            self.base_url + path + query,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Accept": "application/json", **self._headers(content_type)},
        )
        try:
            with urllib.request.urlopen(
                request, timeout=TIMEOUT_SECONDS, context=self.context
            ) as answer:
                return dict(json.loads(answer.read() or b"{}"))
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, _message(error.read())) from None

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        token = self.token
        if token is None and self.token_file is not None:
            token = self.token_file.read_text().strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


def _message(raw: bytes) -> str:
    """The ``message`` of a ``Status`` answer, else the raw text."""
    try:
        status = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:500]
    return str(status.get("message") or status) if isinstance(status, dict) else str(status)
