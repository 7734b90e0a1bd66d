"""A small apiserver for tests: the Kubernetes list/watch protocol over real HTTP on 127.0.0.1.

It serves JSON lists with a resourceVersion (paged with limit/continue),
chunked watch streams of `{"type", "object"}` lines replayed from a history
after the requested resourceVersion, BOOKMARK events, a 410 Expired ERROR event
when the requested version is older than what it keeps, dropped connections,
401 for a wrong token, 403 Status bodies like the real RBAC denials, and the
`/livez` `/readyz` verbose texts. Every request is logged (method and path).
"""

from __future__ import annotations

import copy
import json
import queue
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "k8s"

PATHS = {
    "nodes": "/api/v1/nodes",
    "pods": "/api/v1/pods",
    "pvs": "/api/v1/persistentvolumes",
    "pvcs": "/api/v1/persistentvolumeclaims",
    "events": "/api/v1/events",
    "node-leases": "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
    "leader-leases": "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
    "storageclasses": "/apis/storage.k8s.io/v1/storageclasses",
    "services": "/api/v1/services",
    "endpointslices": "/apis/discovery.k8s.io/v1/endpointslices",
    "deployments": "/apis/apps/v1/deployments",
    "replicasets": "/apis/apps/v1/replicasets",
    "daemonsets": "/apis/apps/v1/daemonsets",
    "statefulsets": "/apis/apps/v1/statefulsets",
}
RBAC = {  # how the real apiserver names each collection in a 403
    "nodes": ("nodes", "", "at the cluster scope"),
    "pods": ("pods", "", "at the cluster scope"),
    "pvs": ("persistentvolumes", "", "at the cluster scope"),
    "pvcs": ("persistentvolumeclaims", "", "at the cluster scope"),
    "events": ("events", "", "at the cluster scope"),
    "node-leases": ("leases", "coordination.k8s.io", 'in the namespace "kube-node-lease"'),
    "leader-leases": ("leases", "coordination.k8s.io", 'in the namespace "kube-system"'),
    "storageclasses": ("storageclasses", "storage.k8s.io", "at the cluster scope"),
    "services": ("services", "", "at the cluster scope"),
    "endpointslices": ("endpointslices", "discovery.k8s.io", "at the cluster scope"),
    "deployments": ("deployments", "apps", "at the cluster scope"),
    "replicasets": ("replicasets", "apps", "at the cluster scope"),
    "daemonsets": ("daemonsets", "apps", "at the cluster scope"),
    "statefulsets": ("statefulsets", "apps", "at the cluster scope"),
}
TOKEN = "test-token-abc"


def load(relative: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / relative).read_text())
    return data.get("items", [data])


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


class _Collection:
    def __init__(self, items: list[dict[str, Any]]):
        self.items = {_key(o): copy.deepcopy(o) for o in items}
        self.history: list[tuple[int, str]] = []  # (resourceVersion, watch line)
        self.oldest = 0  # watches from before this version get 410 Expired
        self.streams: list[queue.Queue[Any]] = []


class FakeApiServer:
    def __init__(self, tls: ssl.SSLContext | None = None, port: int = 0):
        self.lock = threading.RLock()
        self.version = 1000
        self.collections = {name: _Collection([]) for name in PATHS}
        self.requests: list[tuple[str, str]] = []
        self.forbidden: set[str] = set()
        self.token = TOKEN
        self.readyz_ok = True
        # Seconds each list page takes to answer, as a large cluster's lists do.
        self.list_delay = 0.0
        # Collections whose lists wait until released (hold/release), however long the test needs.
        self.held: dict[str, threading.Event] = {}
        self.tls = tls
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self.start()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler(self))
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        """Go away: close every watch and the listening socket (start() brings it back on the same port)."""
        if self._server is None:
            return
        self.drop_all()
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._port}"

    def kubeconfig(self, path: Path, contexts: tuple[str, ...] = ("test",), token: str = TOKEN) -> Path:
        clusters = "".join(f"- name: {c}\n  cluster:\n    server: {self.url}\n" for c in contexts)
        ctxs = "".join(f"- name: {c}\n  context:\n    cluster: {c}\n    user: {c}\n" for c in contexts)
        users = "".join(f"- name: {c}\n  user:\n    token: {token}\n" for c in contexts)
        path.write_text(
            f"apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{ctxs}"
            f"current-context: {contexts[0]}\nusers:\n{users}"
        )
        return path

    # -- the cluster's contents ------------------------------------------------------------

    def seed(self, name: str, items: list[dict[str, Any]]) -> None:
        with self.lock:
            for obj in items:
                obj = copy.deepcopy(obj)
                self.version += 1
                obj["metadata"]["resourceVersion"] = str(self.version)
                self.collections[name].items[_key(obj)] = obj

    def hold(self, name: str) -> None:
        """Lists of `name` wait, unanswered, until release(name) (a minute at most)."""
        self.held[name] = threading.Event()

    def release(self, name: str) -> None:
        gate = self.held.pop(name, None)
        if gate is not None:
            gate.set()

    def emit(self, name: str, kind: str, obj: dict[str, Any]) -> None:
        """A change in the cluster: stored, kept in the history and sent to every open watch."""
        with self.lock:
            obj = copy.deepcopy(obj)
            self.version += 1
            obj["metadata"]["resourceVersion"] = str(self.version)
            collection = self.collections[name]
            if kind == "DELETED":
                collection.items.pop(_key(obj), None)
            else:
                collection.items[_key(obj)] = obj
            self._send(name, self.version, {"type": kind, "object": obj})

    def bookmark(self, name: str) -> None:
        with self.lock:
            line = {"type": "BOOKMARK", "object": {"kind": "Node", "metadata": {"resourceVersion": str(self.version)}}}
            for stream in self.collections[name].streams:
                stream.put(json.dumps(line))

    def expire(self, name: str) -> None:
        """Compact the history: a watch resuming from before now gets 410, and open watches get it too."""
        with self.lock:
            collection = self.collections[name]
            collection.oldest = self.version + 1
            collection.history.clear()
            for stream in collection.streams:
                stream.put(_expired_line())
                stream.put(None)

    def drop(self, name: str) -> None:
        """Cut every open watch of the collection mid-stream, without the closing chunk."""
        with self.lock:
            for stream in self.collections[name].streams:
                stream.put("DROP")

    def drop_all(self) -> None:
        for name in PATHS:
            self.drop(name)

    def _send(self, name: str, version: int, event: dict[str, Any]) -> None:
        line = json.dumps(event)
        collection = self.collections[name]
        collection.history.append((version, line))
        for stream in collection.streams:
            stream.put(line)

    def watching(self, name: str) -> int:
        with self.lock:
            return len(self.collections[name].streams)


def _expired_line() -> str:
    """A real apiserver's 410 ERROR event, verbatim (tests/fixtures/k8s/watch/watch-error-410-expired.jsonl)."""
    return (FIXTURES / "watch" / "watch-error-410-expired.jsonl").read_text().strip()


def _handler(api: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _status(self, code: int, reason: str, message: str) -> None:
            self._json(
                code,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": message,
                    "reason": reason,
                    "code": code,
                },
            )

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlparse(self.path)
            with api.lock:
                api.requests.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {api.token}":
                self._status(401, "Unauthorized", "Unauthorized")
                return
            if self.command != "GET":
                self._status(405, "MethodNotAllowed", "this test apiserver only reads")
                return
            if url.path in ("/livez", "/readyz"):
                name = (
                    "livez-verbose-k8s-docs-v1.16-era.txt"
                    if url.path == "/livez"
                    else ("readyz-verbose-exclude-etcd-k8s-docs-v1.16-era.txt")
                )
                text = (FIXTURES / "health" / name).read_text()
                ok = url.path == "/livez" or api.readyz_ok
                if not ok:
                    text = text.replace("[+]etcd excluded: ok", "[-]etcd failed: reason withheld")
                data = text.encode()
                self.send_response(200 if ok else 500)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            name = next((n for n, p in PATHS.items() if p == url.path), None)
            if name is None:
                self._status(404, "NotFound", "the server could not find the requested resource")
                return
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            watching = query.get("watch") in ("true", "1", "True")
            if name in api.forbidden:
                resource, group, scope = RBAC[name]
                verb = "watch" if watching else "list"
                self._status(
                    403,
                    "Forbidden",
                    f"{resource}{'.' + group if group else ''} is forbidden: "
                    f'User "system:serviceaccount:default:explorer" cannot {verb} resource "{resource}" '
                    f'in API group "{group}" {scope}',
                )
                return
            if watching:
                self._watch(name, query)
            else:
                self._list(name, query)

        def _list(self, name: str, query: dict[str, str]) -> None:
            if api.list_delay:
                time.sleep(api.list_delay)
            gate = api.held.get(name)
            if gate is not None:
                gate.wait(60)
            with api.lock:
                items = [copy.deepcopy(o) for _, o in sorted(api.collections[name].items.items())]
                version = str(api.version)
            start = int(query.get("continue") or 0)
            limit = int(query.get("limit") or 0) or len(items) or 1
            page = items[start : start + limit]
            meta: dict[str, Any] = {"resourceVersion": version}
            if start + limit < len(items):
                meta["continue"] = str(start + limit)
            self._json(200, {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": page})

        def _watch(self, name: str, query: dict[str, str]) -> None:
            stream: queue.Queue[Any] = queue.Queue()
            since = int(query.get("resourceVersion") or 0)
            timeout = float(query.get("timeoutSeconds") or 300)
            with api.lock:
                collection = api.collections[name]
                if since and since < collection.oldest - 1:
                    stream.put(_expired_line())
                    stream.put(None)
                else:
                    for version, line in collection.history:
                        if version > since:
                            stream.put(line)
                collection.streams.append(stream)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            deadline = time.monotonic() + timeout
            try:
                while time.monotonic() < deadline:
                    try:
                        line = stream.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    if line == "DROP":
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if line is None:
                        break
                    data = (line + "\n").encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                pass
            finally:
                with api.lock:
                    collection.streams.remove(stream)
                self.close_connection = True

    return Handler
