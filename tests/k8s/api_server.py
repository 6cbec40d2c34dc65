"""A small stand-in for the Kubernetes API server: what the loop controller's adapters talk
to in the tests, over real HTTP.

It keeps namespaced objects in memory and answers the requests the controller makes, as the
API server would: ``GET`` an object (404 when absent), ``POST`` to a collection (409 when the
name exists), ``PATCH`` with ``application/json-patch+json`` (RFC 6902 through ``jsonpatch``; a
failed ``test`` operation is 422). It also

- refuses a request without the expected bearer token (401), and a write without
  ``fieldManager`` (the controller must name its own);
- validates every object it would store: built-in kinds with kubernetes-validate (strict, both
  supported versions), custom resources against the vendored CRD schemas (``harness.errors``);
  an invalid object is refused with 422 and its errors;
- bumps ``metadata.generation`` when a spec changes, as the API server does for CRs;
- records every request as (verb, resource, name), so a test can compare them with the Role.

What it does not do: admission, defaulting, status subresources, watches, or any controller
(no Job runs, no Rollout progresses): the tests play Argo Rollouts by setting ``status``.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonpatch

from tests.k8s import harness

TOKEN = "stand-in-token"
RESOURCES = {
    ("", "v1", "configmaps"): "ConfigMap",
    ("batch", "v1", "jobs"): "Job",
    ("argoproj.io", "v1alpha1", "rollouts"): "Rollout",
}


@dataclass(frozen=True)
class Call:
    """One request as RBAC sees it."""

    verb: str
    group: str
    resource: str
    name: str
    namespace: str
    status: int
    field_manager: str | None = None


def _route(path: str) -> tuple[str, str, str, str, str | None]:
    """``(group, version, namespace, resource, name)`` of a namespaced path."""
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    else:
        group, version, rest = parts[1], parts[2], parts[3:]
    if len(rest) < 3 or rest[0] != "namespaces":
        raise LookupError(path)
    return group, version, rest[1], rest[2], rest[3] if len(rest) > 3 else None


class ApiServerStandIn:
    """Objects by (group, resource, namespace, name); ``calls`` in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.invalid: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ApiServerStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the test's side -----------------------------------------------------------------

    def put(self, group: str, resource: str, body: dict[str, Any]) -> None:
        """Store an object as Pulumi (or a controller) would have created it."""
        meta = body["metadata"]
        with self.lock:
            stored = copy.deepcopy(body)
            stored["metadata"].setdefault("generation", 1)
            self.objects[(group, resource, meta["namespace"], meta["name"])] = stored

    def get(self, group: str, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.objects.get((group, resource, namespace, name))
            return copy.deepcopy(found) if found else None

    def set_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Play Argo Rollouts: its controller writes the Rollout's status."""
        with self.lock:
            rollout = self.objects[("argoproj.io", "rollouts", namespace, name)]
            rollout["status"] = {
                "observedGeneration": str(rollout["metadata"]["generation"]),
                **status,
            }

    def writes(self, verb: str, resource: str) -> list[Call]:
        return [
            c for c in self.calls if c.verb == verb and c.resource == resource and c.status < 300
        ]

    # --- the server's side -----------------------------------------------------------------

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, token: str | None
    ) -> tuple[int, Any]:
        group, version, namespace, resource, name = _route(path)
        verb = {"GET": "get", "POST": "create", "PATCH": "patch"}[method]
        manager = (query.get("fieldManager") or [None])[0]
        status, answer = self._decide(
            verb, group, version, namespace, resource, name, body, token, manager
        )
        with self.lock:
            self.calls.append(
                Call(
                    verb,
                    group,
                    resource,
                    name or (body or {}).get("metadata", {}).get("name", ""),
                    namespace,
                    status,
                    manager,
                )
            )
        return status, answer

    def _decide(
        self,
        verb: str,
        group: str,
        version: str,
        namespace: str,
        resource: str,
        name: str | None,
        body: Any,
        token: str | None,
        manager: str | None,
    ) -> tuple[int, Any]:
        if token != f"Bearer {TOKEN}":
            return 401, {"kind": "Status", "message": "Unauthorized"}
        if (group, version, resource) not in RESOURCES:
            return 404, {"kind": "Status", "message": f"the server could not find {resource}"}
        if verb != "get" and not manager:
            return 400, {"kind": "Status", "message": "writes must name a fieldManager"}
        with self.lock:
            if verb == "get":
                found = self.objects.get((group, resource, namespace, str(name)))
                return (
                    (200, copy.deepcopy(found))
                    if found
                    else (404, {"kind": "Status", "message": f"{resource} {name!r} not found"})
                )
            if verb == "create":
                key = (group, resource, namespace, body["metadata"]["name"])
                if key in self.objects:
                    return 409, {
                        "kind": "Status",
                        "message": f"{resource} {key[3]!r} already exists",
                    }
                return self._store(key, body, None)
            key = (group, resource, namespace, str(name))
            if key not in self.objects:
                return 404, {"kind": "Status", "message": f"{resource} {name!r} not found"}
            try:
                patched = jsonpatch.apply_patch(self.objects[key], body)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
                return 422, {"kind": "Status", "message": f"the patch failed: {error}"}
            return self._store(key, patched, self.objects[key])

    def _store(
        self, key: tuple[str, str, str, str], body: dict[str, Any], before: dict[str, Any] | None
    ) -> tuple[int, Any]:
        body = copy.deepcopy(body)
        if body["metadata"].get("namespace", key[2]) != key[2]:
            return 400, {
                "kind": "Status",
                "message": "namespace of the body does not match the path",
            }
        body["metadata"]["namespace"] = key[2]
        problems = harness.errors([{k: v for k, v in body.items() if k != "status"}])
        if problems:
            self.invalid += problems
            return 422, {"kind": "Status", "message": "; ".join(problems)}
        generation = int((before or {}).get("metadata", {}).get("generation", 0))
        if before is None or before.get("spec") != body.get("spec"):
            generation += 1
        body["metadata"]["generation"] = generation
        self.objects[key] = body
        return 201 if before is None else 200, copy.deepcopy(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, answer = stand_in._answer(
                    self.command,
                    url.path,
                    parse_qs(url.query),
                    body,
                    self.headers.get("Authorization"),
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _serve

            def log_message(self, *args: Any) -> None:
                return None

        return Handler


def allowed(call: Call, role: dict[str, Any]) -> bool:
    """Whether a namespaced Role's rules allow ``call`` (RBAC: group, resource, verb, and the
    resourceNames when a rule lists them; ``create`` cannot be limited by name)."""
    if role["metadata"]["namespace"] != call.namespace:
        return False
    for rule in role.get("rules", []):
        names = rule.get("resourceNames")
        if (
            call.group in rule.get("apiGroups", [])
            and call.resource in rule.get("resources", [])
            and call.verb in rule.get("verbs", [])
            and (not names or call.name in names)
        ):
            return True
    return False
