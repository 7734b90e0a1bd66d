"""Connecting to a cluster with the official client, and saying plainly why it failed.

The typed APIs are the only way the source talks to a cluster, and every call
here is a GET: list and watch of the collections in `COLLECTIONS`, plus the
apiserver's `/livez` and `/readyz` where the control plane is hidden.
"""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from explorer.sources.base import SourceError
from explorer.sources.kube import decode

__all__ = [
    "COLLECTIONS",
    "Collection",
    "MalformedResponse",
    "RawWatch",
    "connect",
    "explain",
    "get_raw",
    "list_contexts",
    "list_page",
]

# Timeouts (connect, read) for every call that is not a watch.
REQUEST_TIMEOUT = (5.0, 30.0)


@dataclass(frozen=True)
class Collection:
    """One listed-and-watched collection: which typed API call reads it, and how RBAC names it."""

    api: str  # the client class: CoreV1Api, CoordinationV1Api, StorageV1Api, DiscoveryV1Api, AppsV1Api
    method: str
    resource: str  # as RBAC names it
    group: str = ""
    namespace: str | None = None

    def call(self, api_client: client.ApiClient) -> Any:
        function = getattr(getattr(client, self.api)(api_client), self.method)
        if self.namespace is None:
            return function
        namespace = self.namespace

        def namespaced(*args: Any, **kwargs: Any) -> Any:
            return function(namespace, *args, **kwargs)

        # kubernetes.watch.Watch reads the return type from the wrapped call's docstring.
        namespaced.__doc__ = function.__doc__
        return namespaced

    def describe(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else " at the cluster scope"
        group = f".{self.group}" if self.group else ""
        return f"{self.resource}{group}{where}"


COLLECTIONS: dict[str, Collection] = {
    "nodes": Collection("CoreV1Api", "list_node", "nodes"),
    "node-leases": Collection(
        "CoordinationV1Api", "list_namespaced_lease", "leases", "coordination.k8s.io", "kube-node-lease"
    ),
    "leader-leases": Collection(
        "CoordinationV1Api", "list_namespaced_lease", "leases", "coordination.k8s.io", "kube-system"
    ),
    "pods": Collection("CoreV1Api", "list_pod_for_all_namespaces", "pods"),
    "pvs": Collection("CoreV1Api", "list_persistent_volume", "persistentvolumes"),
    "pvcs": Collection("CoreV1Api", "list_persistent_volume_claim_for_all_namespaces", "persistentvolumeclaims"),
    "storageclasses": Collection("StorageV1Api", "list_storage_class", "storageclasses", "storage.k8s.io"),
    "services": Collection("CoreV1Api", "list_service_for_all_namespaces", "services"),
    "endpointslices": Collection(
        "DiscoveryV1Api", "list_endpoint_slice_for_all_namespaces", "endpointslices", "discovery.k8s.io"
    ),
    "deployments": Collection("AppsV1Api", "list_deployment_for_all_namespaces", "deployments", "apps"),
    "replicasets": Collection("AppsV1Api", "list_replica_set_for_all_namespaces", "replicasets", "apps"),
    "daemonsets": Collection("AppsV1Api", "list_daemon_set_for_all_namespaces", "daemonsets", "apps"),
    "statefulsets": Collection("AppsV1Api", "list_stateful_set_for_all_namespaces", "statefulsets", "apps"),
    # Core events, not events.k8s.io: the 37.x client's EventsV1Api fails on eventTime null.
    "events": Collection("CoreV1Api", "list_event_for_all_namespaces", "events"),
}


class MalformedResponse(ValueError):
    """The apiserver answered something that is not the JSON of the collection asked for."""


class RawWatch(watch.Watch):
    """kubernetes.watch.Watch, minus the typed model built for every event.

    The stream, its ERROR and 410 handling and the resourceVersion it tracks
    (bookmarks included) are the client's; only the per-event deserialisation
    is replaced. Not the client's models (about 2 ms a pod, a ceiling of 500
    events a second per watch): each event's head only (`decode.decode_watch_head`),
    its line kept in `line` for the index's thread to decode whole where it maps it.
    """

    def unmarshal_event(self, data: str, return_type: Any) -> dict[str, Any] | None:
        if not data or data.isspace():
            return None
        event = decode.decode_watch_head(data)
        if event is None:
            return None
        event["raw_object"] = event["object"]
        event["line"] = data
        if event["type"] != "ERROR":
            version = event["object"]["metadata"]["resourceVersion"]
            if version:
                self.resource_version = version
        return event


def _kubeconfig_path(kubeconfig: str) -> str:
    return kubeconfig or os.environ.get("KUBECONFIG", "") or str(Path("~/.kube/config").expanduser())


def list_contexts(kubeconfig: str = "") -> tuple[list[str], str]:
    """The kubeconfig's context names and the current one; ([], "") when there is no readable kubeconfig."""
    path = _kubeconfig_path(kubeconfig)
    if not any(Path(p).is_file() for p in path.split(os.pathsep) if p):
        return [], ""
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
    except (ConfigException, OSError, ValueError, TypeError):
        return [], ""
    return [c["name"] for c in contexts or []], (current or {}).get("name", "")


def connect(kubeconfig: str = "", context: str = "") -> tuple[client.ApiClient, str]:
    """An ApiClient and the cluster's name: in-cluster when running in a pod, else from the kubeconfig."""
    configuration = client.Configuration()
    # Fail fast and let the source's own back-off decide when to try again.
    configuration.retries = False
    if not kubeconfig and not context and os.environ.get("KUBERNETES_SERVICE_HOST"):
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as error:
            raise SourceError(f"in-cluster configuration failed: {error}") from None
        return client.ApiClient(configuration), "in-cluster"
    path = _kubeconfig_path(kubeconfig)
    if not any(Path(p).is_file() for p in path.split(os.pathsep) if p):
        raise SourceError(
            f"no kubeconfig at {path}: pass --kubeconfig or set KUBECONFIG "
            "(inside a pod, the service account is used when KUBERNETES_SERVICE_HOST is set)"
        )
    names, current = list_contexts(path)
    if context and context not in names:
        known = ", ".join(names) or "none"
        raise SourceError(f"the kubeconfig {path} has no context {context!r}; its contexts: {known}")
    try:
        config.load_kube_config(config_file=path, context=context or None, client_configuration=configuration)
    except (ConfigException, OSError, ValueError, TypeError) as error:
        raise SourceError(f"the kubeconfig {path} cannot be used: {error}") from None
    configuration.retries = False
    return client.ApiClient(configuration), context or current or "kubeconfig"


def list_page(api_client: client.ApiClient, name: str, cont: str | None, limit: int = 500) -> dict[str, Any]:
    """One page of a list, decoded to what the mapping reads (typed models of 150000 pods would be too slow)."""
    kwargs: dict[str, Any] = {"limit": limit, "_preload_content": False, "_request_timeout": REQUEST_TIMEOUT}
    if cont:
        kwargs["_continue"] = cont
    response = COLLECTIONS[name].call(api_client)(**kwargs)
    try:
        return decode.decode_list(name, response.data)
    except decode.DecodeError as error:
        raise MalformedResponse(f"its list of {COLLECTIONS[name].describe()} does not decode: {error}") from None
    finally:
        response.release_conn()


def get_raw(api_client: client.ApiClient, path: str) -> tuple[int, str]:
    """GET a non-resource path such as `/readyz?verbose`: (status, body). A failing check is a 500, not an error."""
    method, url, headers, _body, _post = api_client.param_serialize(
        "GET", path, query_params=[("verbose", "true")], auth_settings=["BearerToken"]
    )
    response = api_client.call_api(method, url, header_params=headers, _request_timeout=REQUEST_TIMEOUT)
    return response.status, response.read().decode("utf-8", "replace")


def explain(error: BaseException, name: str, verb: str = "list", host: str = "") -> str:
    """A sentence for a person: what failed and what to do, never a traceback."""
    where = f" at {host}" if host else ""
    if isinstance(error, ApiException) and error.status:
        collection = COLLECTIONS.get(name)
        what = collection.describe() if collection else name
        server_says = _status_message(error)
        if error.status == 401:
            return (
                f"the apiserver{where} rejected the credentials (401 Unauthorized): "
                "the kubeconfig's token or client certificate is wrong or has expired"
            )
        if error.status == 403:
            return (
                f"forbidden (403): the RBAC rules do not let this identity {verb} {what}; "
                f"grant get, list and watch on it (deploy/rbac.yaml does). The apiserver said: {server_says}"
            )
        return f"the apiserver{where} answered {error.status} {error.reason} to {verb} {what}: {server_says}"
    if isinstance(error, MalformedResponse):
        return f"the apiserver{where} answered what is not Kubernetes JSON: {error}"
    # The client reports a failed connection as an ApiException with status 0, its cause in `reason`.
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, (ssl.SSLError, urllib3.exceptions.SSLError)) or "SSL" in str(reason):
        return (
            f"TLS failure talking to the apiserver{where}: {_short(reason)}; "
            "check the kubeconfig's certificate-authority for this cluster"
        )
    return f"the apiserver{where} cannot be reached: {_short(reason)}"


def _status_message(error: ApiException) -> str:
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        return str(error.reason or "")
    return str(body.get("message") or error.reason or "") if isinstance(body, dict) else str(error.reason or "")


def _short(reason: Any) -> str:
    text = " ".join(str(reason).split())
    # urllib3 wraps the cause in "<urllib3.connection.HTTPConnection object at 0x..>: Failed to ..."
    if ">: " in text:
        text = text.split(">: ", 1)[1]
    return text.strip(" '\"")[:300]
