#!/usr/bin/env python3
"""A Kubernetes API server for the Trellis tests (stdlib only): Nodes, Namespaces, Pods and
NetworkPolicies.

It speaks the protocol a real kube-apiserver speaks for core/v1 Nodes, Namespaces and Pods and for
networking.k8s.io/v1 NetworkPolicies, as client-go and kubectl expect it: discovery (/api, /apis,
/api/v1, /apis/networking.k8s.io/v1, a minimal /openapi/v3 that tells kubectl the server validates
fields itself), list with resourceVersion and limit/continue pagination (cluster-wide and per
namespace, with a fieldSelector of equalities), chunked watch streams of
ADDED/MODIFIED/DELETED/BOOKMARK/ERROR events (410 Gone as an ERROR event carrying a Status when the
resourceVersion is too old), GET, POST (create), PUT, DELETE, PATCH of an object and of its status
subresource (nodes, namespaces, pods; merge patch, and strategic merge patch with `conditions` and
`addresses` merged by `type`), bearer tokens (401 / 403 with Status objects). Objects are
defaulted as the real server does: a Namespace gets the `kubernetes.io/metadata.name` label, a
NetworkPolicy its `policyTypes` when omitted (Ingress, plus Egress when it has egress rules) and
`protocol: TCP` on ports, a Pod `protocol: TCP` on container ports and `status.phase: Pending`.

Faults and changes are driven through /_control/<op> (POST, JSON body), without a token:
  put {object}               create or replace any object by its `kind` (ADDED / MODIFIED event),
                             defaulted as above
  delete {kind, namespace?, name}   DELETED event
  get {kind, namespace?, name}      the object as stored
  put-many {items: [object]} put each (a benchmark's thousands of objects in one request)
  put-node {object}          create or replace a node (ADDED / MODIFIED event)
  delete-node {name}         DELETED event
  get-node {name}            the node as stored
  compact {}                 history before now is gone (a watch or continue from before: 410)
  expire-watches {node?}     compact, and every open watch gets an ERROR 410 event and ends;
                             with a node, put it first: a change the watches miss
  drop {mode}                "mid-event": the next event on each open watch is cut off halfway
                             and its connection closed; "now": close every watch at once
  slow {ms}                  delay every API response by ms
  tokens {token: [verbs]}    replace the accepted tokens ("*" = every verb)
  bookmark {}                send a BOOKMARK to every open watch
  bump {}                    advance the resourceVersion without a node event (another resource)
  GET requests / POST reset-requests   the API requests served so far
  GET state                  {resourceVersion, watchers}
The port is printed on the first line of stdout. With --tls-cert it serves HTTPS (client-go sends
bearer tokens only over TLS), and with --client-ca a client certificate authenticates too.
"""
import argparse
import base64
import copy
import json
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USER = "system:serviceaccount:kube-system:trellis"
NAME_LABEL = "kubernetes.io/metadata.name"


class Resource:
    """One served resource: where it lives in the API and how its objects are shaped."""

    def __init__(self, group, plural, kind, namespaced, status, short):
        self.group, self.plural, self.kind = group, plural, kind
        self.namespaced, self.status, self.short = namespaced, status, short
        self.api_version = f"{group}/v1" if group else "v1"


RESOURCES = [
    Resource("", "nodes", "Node", False, True, ["no"]),
    Resource("", "namespaces", "Namespace", False, True, ["ns"]),
    Resource("", "pods", "Pod", True, True, ["po"]),
    Resource("networking.k8s.io", "networkpolicies", "NetworkPolicy", True, False, ["netpol"]),
]
BY_PATH = {(r.group, r.plural): r for r in RESOURCES}
BY_KIND = {r.kind: r for r in RESOURCES}
NODES = BY_KIND["Node"]


def default(resource, obj):
    """What the real API server fills in on every write of `obj`."""
    meta = obj["metadata"]
    spec = obj.setdefault("spec", {}) if resource.kind in ("Pod", "NetworkPolicy") else obj.get("spec")
    if resource.kind == "Namespace":
        meta.setdefault("labels", {})[NAME_LABEL] = meta["name"]
    elif resource.kind == "Pod":
        for container in spec.get("containers") or []:
            for port in container.get("ports") or []:
                port.setdefault("protocol", "TCP")
        obj.setdefault("status", {}).setdefault("phase", "Pending")
    elif resource.kind == "NetworkPolicy":
        spec.setdefault("podSelector", {})
        if not spec.get("policyTypes"):
            spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
            for port in rule.get("ports") or []:
                port.setdefault("protocol", "TCP")


class Store:
    """Objects of every resource, their history of events, the accepted tokens and the faults."""

    def __init__(self, tokens):
        self.lock = threading.Condition()
        self.objects = {r.plural: {} for r in RESOURCES}  # plural -> {(namespace, name): object}
        self.rv = 100
        self.history = []  # (rv, plural, type, object)
        self.compacted = 0  # events at or below this resourceVersion are gone
        self.tokens = tokens
        self.slow_ms = 0
        self.drop_mode = None
        self.drop_gen = 0
        self.expire_gen = 0
        self.bookmark_gen = 0
        self.watchers = 0
        self.requests = []
        self.snapshots = {}  # id -> the items of a paginated list, for its continue tokens
        self.next_snapshot = 0

    def keep_snapshot(self, items):
        """Keeps a list's items for its continue tokens (the last 32 lists); returns its id."""
        self.next_snapshot += 1
        self.snapshots[self.next_snapshot] = items
        self.snapshots.pop(self.next_snapshot - 32, None)
        return self.next_snapshot

    def record(self, resource, kind, obj):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.history.append((self.rv, resource.plural, kind, copy.deepcopy(obj)))
        self.lock.notify_all()

    def get(self, resource, namespace, name):
        return self.objects[resource.plural].get((namespace or "", name))

    def put(self, obj, resource=None):
        """Creates or replaces `obj` (of `resource`, else of its `kind`), defaulted."""
        resource = resource or BY_KIND[obj.get("kind", "Node")]
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        key = (meta.get("namespace", ""), meta["name"])
        old = self.objects[resource.plural].get(key)
        meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        obj["apiVersion"] = resource.api_version
        obj["kind"] = resource.kind
        default(resource, obj)
        self.objects[resource.plural][key] = obj
        self.record(resource, "MODIFIED" if old else "ADDED", obj)
        return obj

    def delete(self, resource, namespace, name):
        obj = self.objects[resource.plural].pop((namespace or "", name))
        self.record(resource, "DELETED", obj)
        return obj


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def not_found(resource, name):
    return 404, status(404, "NotFound", f'{resource.plural} "{name}" not found', {"name": name, "kind": resource.plural})


def merge(target, patch, strategic):
    """RFC 7386 merge patch; strategic: lists of conditions/addresses merged by their `type`."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif strategic and key in ("conditions", "addresses") and isinstance(value, list):
            types = {item.get("type") for item in value}
            result[key] = [old for old in result.get(key, []) if old.get("type") not in types] + value
        elif strategic and key.startswith("$"):
            continue  # directives ($retainKeys, $patch, ...): the test server merges plainly
        else:
            result[key] = merge(result.get(key), value, strategic)
    return result


def field_matcher(selector):
    """A predicate for a fieldSelector of `path=value`, `path==value` and `path!=value` terms."""
    terms = []
    for term in filter(None, (selector or "").split(",")):
        negate = "!=" in term
        path, value = term.split("!=" if negate else ("==" if "==" in term else "="), 1)
        terms.append((path.split("."), value, negate))

    def matches(obj):
        for path, value, negate in terms:
            found = obj
            for part in path:
                found = found.get(part) if isinstance(found, dict) else None
            if (str(found if found is not None else "") == value) == negate:
                return False
        return True
    return matches


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = None

    def log_message(self, *args): pass  # noqa: E704  (quiet: tests read only the port)

    # -- plumbing -------------------------------------------------------------------------
    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authorize(self, verb, resource, subresource, name, namespace):
        """None when allowed, else the (code, Status) to answer with."""
        header = self.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else None
        with self.store.lock:
            verbs = self.store.tokens.get(token)
        if verbs is None and isinstance(self.connection, ssl.SSLSocket) and self.connection.getpeercert():
            verbs = ["*"]  # a client certificate signed by the cluster CA
        if verbs is None:
            return 401, status(401, "Unauthorized", "Unauthorized")
        if "*" in verbs or verb in verbs:
            return None
        what = f'{resource.plural} "{name}"' if name else resource.plural
        full = resource.plural + (f"/{subresource}" if subresource else "")
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (f'{what} is forbidden: User "{USER}" cannot {verb} resource "{full}" '
                   f'in API group "{resource.group}" {scope}')
        details = {"kind": resource.plural}
        if name:
            details["name"] = name
        return 403, status(403, "Forbidden", message, details)

    # -- verbs ----------------------------------------------------------------------------
    def do_GET(self): self.route("GET")  # noqa: E704
    def do_PATCH(self): self.route("PATCH")  # noqa: E704
    def do_POST(self): self.route("POST")  # noqa: E704
    def do_PUT(self): self.route("PUT")  # noqa: E704
    def do_DELETE(self): self.route("DELETE")  # noqa: E704

    def parse(self, parts):
        """(resource, namespace, name, subresource) of an API path, or None."""
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3 and parts[2] == "v1":
            group, rest = parts[1], parts[3:]
        else:
            return None
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and (group, rest[2]) in BY_PATH:
            namespace, rest = rest[1], rest[2:]
        if not rest or (group, rest[0]) not in BY_PATH or len(rest) > 3:
            return None
        resource = BY_PATH[(group, rest[0])]
        if namespace and not resource.namespaced:
            return None
        name = rest[1] if len(rest) > 1 else None
        subresource = rest[2] if len(rest) > 2 else None
        if subresource and (subresource != "status" or not resource.status):
            return None
        return resource, namespace, name, subresource

    def route(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        if parts[:1] == ["_control"]:
            return self.control(method, parts[1] if len(parts) > 1 else "")
        body = self.body() if method != "GET" else b""
        with self.store.lock:
            self.store.requests.append({"method": method, "path": url.path, "query": query,
                                        "contentType": self.headers.get("Content-Type"),
                                        "body": body.decode() if body else None})
            slow = self.store.slow_ms
        if slow:
            time.sleep(slow / 1000)
        if method == "GET" and (url.path in ("/api", "/apis", "/api/v1", "/version")
                                or parts[:1] == ["openapi"] or (parts[:1] == ["apis"] and len(parts) in (2, 3))):
            return self.discovery(parts, url.path)
        target = self.parse(parts)
        if target is None:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        resource, namespace, name, subresource = target
        if method == "GET" and name is None:
            watching = query.get("watch") in ("1", "true")
            denied = self.authorize("watch" if watching else "list", resource, None, None, namespace)
            if denied:
                return self.send_json(*denied)
            return self.watch(resource, namespace, query) if watching else self.list(resource, namespace, query)
        verb = {"GET": "get", "PATCH": "patch", "POST": "create", "PUT": "update", "DELETE": "delete"}[method]
        if (method == "POST") != (name is None) or (method in ("POST", "DELETE") and subresource):
            return self.send_json(405, status(405, "MethodNotAllowed", f"{method} is not supported"))
        denied = self.authorize(verb, resource, subresource, name, namespace)
        if denied:
            return self.send_json(*denied)
        if method == "GET":
            with self.store.lock:
                obj = copy.deepcopy(self.store.get(resource, namespace, name))
            return self.send_json(200, obj) if obj is not None else self.send_json(*not_found(resource, name))
        if method == "PATCH":
            return self.patch(resource, namespace, name, subresource, body)
        if method == "DELETE":
            with self.store.lock:
                if self.store.get(resource, namespace, name) is None:
                    return self.send_json(*not_found(resource, name))
                obj = copy.deepcopy(self.store.delete(resource, namespace, name))
            return self.send_json(200, obj)
        return self.write(resource, namespace, name, subresource, method, body)

    def discovery(self, parts, path):
        verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]

        def resources(group):
            listed = []
            for r in RESOURCES:
                if r.group != group:
                    continue
                listed.append({"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                               "kind": r.kind, "verbs": verbs, "shortNames": r.short})
                if r.status:
                    listed.append({"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                                   "kind": r.kind, "verbs": ["get", "patch", "update"]})
            return listed
        networking = {"name": "networking.k8s.io", "versions": [{"groupVersion": "networking.k8s.io/v1", "version": "v1"}],
                      "preferredVersion": {"groupVersion": "networking.k8s.io/v1", "version": "v1"}}
        if path == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if path == "/apis":
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [networking]})
        if path == "/version":
            return self.send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-trellis-test"})
        if path == "/api/v1":
            return self.send_json(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources("")})
        if parts == ["apis", "networking.k8s.io"]:
            return self.send_json(200, dict(networking, kind="APIGroup", apiVersion="v1"))
        if parts == ["apis", "networking.k8s.io", "v1"]:
            return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "networking.k8s.io/v1",
                                        "resources": resources("networking.k8s.io")})
        if parts[:2] == ["openapi", "v3"]:
            return self.openapi(parts[2:])
        self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))

    def openapi(self, rest):
        """Just enough OpenAPI v3 for kubectl to see that PATCH takes `fieldValidation`, so it
        leaves validation to the server (which, here, accepts every field) instead of wanting the
        whole schema."""
        groups = {"api/v1": ("", "v1"), "apis/networking.k8s.io/v1": ("networking.k8s.io", "v1")}
        if not rest:
            return self.send_json(200, {"paths": {p: {"serverRelativeURL": f"/openapi/v3/{p}?hash=trellis"} for p in groups}})
        group, version = groups.get("/".join(rest), (None, None))
        if group is None:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        paths = {}
        for r in RESOURCES:
            if r.group != group:
                continue
            prefix = ("/apis/" + group if group else "/api") + "/v1/" + ("namespaces/{namespace}/" if r.namespaced else "")
            gvk = {"group": group, "version": version, "kind": r.kind}
            paths[prefix + r.plural + "/{name}"] = {"patch": {
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}]}}
        self.send_json(200, {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.30.0"}, "paths": paths})

    def list(self, resource, namespace, query):
        limit = int(query.get("limit") or 0)
        matches = field_matcher(query.get("fieldSelector"))
        with self.store.lock:
            if "continue" in query:
                token = json.loads(base64.b64decode(query["continue"]))
                if token["rv"] <= self.store.compacted:
                    return self.send_json(410, status(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result."))
                snapshot = self.store.snapshots.get(token["snapshot"])
                if snapshot is None:
                    return self.send_json(410, status(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result."))
                items, rv, start = snapshot, token["rv"], token["start"]
            else:
                items = [o for (ns, _), o in self.store.objects[resource.plural].items()
                         if (namespace is None or ns == namespace) and matches(o)]
                items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
                items, rv, start = copy.deepcopy(items), self.store.rv, 0
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": str(rv)}
        if limit and start + limit < len(items):
            # The real server encodes a key to resume from; here the token names a snapshot kept
            # by the store (small, as the real one is), which makes pages consistent.
            with self.store.lock:
                snapshot_id = token["snapshot"] if "continue" in query else self.store.keep_snapshot(items)
            cont = {"rv": rv, "start": start + limit, "snapshot": snapshot_id}
            meta["continue"] = base64.b64encode(json.dumps(cont).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        self.send_json(200, {"kind": f"{resource.kind}List", "apiVersion": resource.api_version, "metadata": meta, "items": page})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, kind, obj):
        self.chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

    def watch(self, resource, namespace, query):
        store = self.store
        timeout = float(query.get("timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        matches = field_matcher(query.get("fieldSelector"))

        def wanted(entry):
            obj = entry[3]
            return (entry[1] == resource.plural and matches(obj)
                    and (namespace is None or obj["metadata"].get("namespace") == namespace))
        with store.lock:
            since = query.get("resourceVersion")
            backlog = []
            if since in (None, "", "0"):
                backlog = [("ADDED", copy.deepcopy(o)) for (ns, _), o in store.objects[resource.plural].items()
                           if (namespace is None or ns == namespace) and matches(o)]
                since = store.rv
            since = int(since)
            gone = since < store.compacted
            drop_gen, expire_gen, bookmark_gen = store.drop_gen, store.expire_gen, store.bookmark_gen
            store.watchers += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if gone:
                self.event("ERROR", status(410, "Expired", f"too old resource version: {since} ({store.compacted})"))
                return self.chunk(b"")
            for kind, obj in backlog:
                self.event(kind, obj)
            cut_next = False  # a "mid-event" drop waits for the next event to cut it
            while True:
                with store.lock:
                    pending = [e for e in store.history if e[0] > since and wanted(e)]
                    while (not pending and store.expire_gen == expire_gen and store.drop_gen == drop_gen
                           and store.bookmark_gen == bookmark_gen and time.monotonic() < deadline):
                        store.lock.wait(max(0.0, min(1.0, deadline - time.monotonic())))
                        pending = [e for e in store.history if e[0] > since and wanted(e)]
                    expired, rv = store.expire_gen != expire_gen, store.rv
                    drop = store.drop_mode if store.drop_gen != drop_gen else None
                    bookmark = store.bookmark_gen != bookmark_gen
                    drop_gen, bookmark_gen = store.drop_gen, store.bookmark_gen
                cut_next = cut_next or drop == "mid-event"
                if expired:
                    self.event("ERROR", status(410, "Expired", f"too old resource version: {since} ({rv})"))
                    return self.chunk(b"")
                if cut_next and pending:
                    data = json.dumps({"type": pending[0][2], "object": pending[0][3]}).encode() + b"\n"
                    self.wfile.write(b"%x\r\n%s" % (len(data), data[:len(data) // 2]))
                    self.wfile.flush()
                    return self.hang_up()
                for rv_, _, kind, obj in pending:
                    self.event(kind, obj)
                    since = rv_
                if bookmark and bookmarks:
                    # Every event up to rv has been sent: resuming from rv misses nothing.
                    self.event("BOOKMARK", {"kind": resource.kind, "apiVersion": resource.api_version,
                                            "metadata": {"resourceVersion": str(rv)}})
                    since = max(since, rv)
                if drop == "now":
                    return self.hang_up()
                if time.monotonic() >= deadline:
                    return self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with store.lock:
                store.watchers -= 1

    def hang_up(self):
        """Closes the connection without ending the chunked body, as a crashed server would."""
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def decode(self, body):
        try:
            return json.loads(body), None
        except ValueError as error:
            return None, (400, status(400, "BadRequest", f"invalid body: {error}"))

    def patch(self, resource, namespace, name, subresource, body):
        kind = (self.headers.get("Content-Type") or "").split(";")[0]
        if kind not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            return self.send_json(415, status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}"))
        patch, error = self.decode(body)
        if error:
            return self.send_json(*error)
        with self.store.lock:
            obj = self.store.get(resource, namespace, name)
            if obj is None:
                return self.send_json(*not_found(resource, name))
            # The status subresource changes only status; the object itself everything but status.
            patch = {"status": patch.get("status", {})} if subresource else {k: v for k, v in patch.items() if k != "status"}
            updated = merge(obj, patch, kind.startswith("application/strategic"))
            default(resource, updated)
            if updated != obj:
                self.store.objects[resource.plural][(namespace or "", name)] = updated
                self.store.record(resource, "MODIFIED", updated)
            obj = copy.deepcopy(updated)
        self.send_json(200, obj)

    def write(self, resource, namespace, name, subresource, method, body):
        """POST (create) and PUT (replace; of the status subresource: only status)."""
        obj, error = self.decode(body)
        if error:
            return self.send_json(*error)
        meta = obj.setdefault("metadata", {})
        name = name or meta.get("name")
        if not name:
            return self.send_json(422, status(422, "Invalid", f"{resource.kind} is invalid: metadata.name: Required value"))
        meta["name"] = name
        if namespace:
            meta["namespace"] = namespace
        with self.store.lock:
            old = self.store.get(resource, namespace, name)
            if method == "POST" and old is not None:
                return self.send_json(409, status(409, "AlreadyExists", f'{resource.plural} "{name}" already exists',
                                                  {"name": name, "kind": resource.plural}))
            if method == "PUT" and old is None:
                return self.send_json(*not_found(resource, name))
            if old is not None:
                # The status subresource writes only status, the object everything but status.
                kept = copy.deepcopy(old)
                if subresource:
                    kept["status"] = obj.get("status", {})
                else:
                    obj["status"] = kept.get("status", obj.get("status"))
                    kept = obj
                obj = kept
                obj["metadata"].pop("resourceVersion", None)
            obj = copy.deepcopy(self.store.put(obj, resource))
        self.send_json(201 if method == "POST" else 200, obj)

    def control(self, method, op):
        store = self.store
        arg = json.loads(self.body() or b"{}") if method == "POST" else {}

        def target():
            return BY_KIND[arg.get("kind", "Node")], arg.get("namespace"), arg["name"]
        with store.lock:
            if op == "state":
                return self.send_json(200, {"resourceVersion": store.rv, "watchers": store.watchers})
            if op == "requests":
                return self.send_json(200, store.requests)
            if op == "reset-requests":
                store.requests = []
            elif op in ("put", "put-node"):
                return self.send_json(200, store.put(arg, NODES if op == "put-node" else None))
            elif op == "put-many":
                for obj in arg["items"]:
                    store.put(obj)
                return self.send_json(200, {"count": len(arg["items"]), "resourceVersion": store.rv})
            elif op in ("get", "get-node"):
                return self.send_json(200, store.get(*target()))
            elif op in ("delete", "delete-node"):
                store.delete(*target())
            elif op in ("compact", "expire-watches"):
                if "node" in arg:
                    store.put(arg["node"], NODES)  # a change open watches never deliver: only a list shows it
                store.compacted = store.rv
                if op == "expire-watches":
                    store.expire_gen += 1
            elif op == "drop":
                store.drop_mode, store.drop_gen = arg["mode"], store.drop_gen + 1
            elif op == "slow":
                store.slow_ms = arg["ms"]
            elif op == "tokens":
                store.tokens = arg
            elif op == "bump":
                store.rv += 1  # a write to some other resource: the watch sees no event
            elif op == "bookmark":
                store.bookmark_gen += 1
            else:
                return self.send_json(404, {"error": f"unknown control {op}"})
            store.lock.notify_all()
        self.send_json(200, {})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", action="append", default=[], help="TOKEN or TOKEN=verb,verb")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="and this key (PEM)")
    parser.add_argument("--client-ca", help="accept client certificates signed by this CA (PEM)")
    parser.add_argument("--nodes", help="a JSON file holding a list of Node objects to start with")
    parser.add_argument("--objects", help="a JSON file holding a list of objects of any kind to start with")
    args = parser.parse_args()
    tokens = {}
    for spec in args.token:
        token, _, verbs = spec.partition("=")
        tokens[token] = verbs.split(",") if verbs else ["*"]
    Handler.store = Store(tokens)
    for path, resource in ((args.nodes, NODES), (args.objects, None)):
        if path:
            with open(path) as file:
                with Handler.store.lock:
                    for obj in json.load(file):
                        Handler.store.put(obj, resource)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            context.verify_mode = ssl.CERT_OPTIONAL
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
