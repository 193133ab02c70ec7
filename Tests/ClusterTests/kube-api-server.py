#!/usr/bin/env python3
"""A Kubernetes API server for Nodes only, for the Trellis tests (stdlib only).

It speaks the protocol a real kube-apiserver speaks for core/v1 Nodes, as client-go and kubectl
expect it: discovery (/api, /apis, /api/v1), list with resourceVersion and limit/continue
pagination, chunked watch streams of ADDED/MODIFIED/DELETED/BOOKMARK/ERROR events (410 Gone as an
ERROR event carrying a Status when the resourceVersion is too old), GET of one node, PATCH of a
node and of nodes/status (merge patch, and strategic merge patch with `conditions` and
`addresses` merged by `type`), bearer tokens (401 / 403 with Status objects).

Faults and changes are driven through /_control/<op> (POST, JSON body), without a token:
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


class Store:
    """Nodes, their history of events, the accepted tokens and the injected faults."""

    def __init__(self, tokens):
        self.lock = threading.Condition()
        self.nodes = {}
        self.rv = 100
        self.history = []  # (rv, type, object)
        self.compacted = 0  # events at or below this resourceVersion are gone
        self.tokens = tokens
        self.slow_ms = 0
        self.drop_mode = None
        self.drop_gen = 0
        self.expire_gen = 0
        self.bookmark_gen = 0
        self.watchers = 0
        self.requests = []

    def record(self, kind, obj):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.history.append((self.rv, kind, copy.deepcopy(obj)))
        self.lock.notify_all()

    def put(self, obj):
        meta = obj.setdefault("metadata", {})
        old = self.nodes.get(meta["name"])
        meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        obj.setdefault("apiVersion", "v1")
        obj.setdefault("kind", "Node")
        self.nodes[meta["name"]] = obj
        self.record("MODIFIED" if old else "ADDED", obj)
        return obj


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


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
        else:
            result[key] = merge(result.get(key), value, strategic)
    return result


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

    def authorize(self, verb, resource, name):
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
        what = f'{resource.split("/")[0]} "{name}"' if name else resource.split("/")[0]
        message = (f'{what} is forbidden: User "{USER}" cannot {verb} resource "{resource}" '
                   f'in API group "" at the cluster scope')
        details = {"kind": resource.split("/")[0]}
        if name:
            details["name"] = name
        return 403, status(403, "Forbidden", message, details)

    # -- verbs ----------------------------------------------------------------------------
    def do_GET(self): self.route("GET")  # noqa: E704
    def do_PATCH(self): self.route("PATCH")  # noqa: E704
    def do_POST(self): self.route("POST")  # noqa: E704

    def route(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        if parts[:1] == ["_control"]:
            return self.control(method, parts[1] if len(parts) > 1 else "")
        body = self.body() if method == "PATCH" else b""
        with self.store.lock:
            self.store.requests.append({"method": method, "path": url.path, "query": query,
                                        "contentType": self.headers.get("Content-Type"),
                                        "body": body.decode() if body else None})
            slow = self.store.slow_ms
        if slow:
            time.sleep(slow / 1000)
        if method == "GET" and url.path in ("/api", "/apis", "/api/v1", "/version"):
            return self.discovery(url.path)
        if parts[:3] != ["api", "v1", "nodes"] or len(parts) > 5:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        name = parts[3] if len(parts) > 3 else None
        subresource = parts[4] if len(parts) > 4 else None
        if method == "GET" and name is None:
            watching = query.get("watch") in ("1", "true")
            denied = self.authorize("watch" if watching else "list", "nodes", None)
            if denied:
                return self.send_json(*denied)
            return self.watch(query) if watching else self.list(query)
        if method == "GET" and subresource in (None, "status"):
            denied = self.authorize("get", "nodes/status" if subresource else "nodes", name)
            if denied:
                return self.send_json(*denied)
            with self.store.lock:
                node = copy.deepcopy(self.store.nodes.get(name))
            if node is None:
                return self.send_json(404, status(404, "NotFound", f'nodes "{name}" not found',
                                                  {"name": name, "kind": "nodes"}))
            return self.send_json(200, node)
        if method == "PATCH" and subresource in (None, "status"):
            resource = "nodes/status" if subresource else "nodes"
            denied = self.authorize("patch", resource, name)
            if denied:
                return self.send_json(*denied)
            return self.patch(name, subresource, body)
        self.send_json(405, status(405, "MethodNotAllowed", f"{method} is not supported"))

    def discovery(self, path):
        if path == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if path == "/apis":
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        if path == "/version":
            return self.send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-trellis-test"})
        verbs = ["get", "list", "watch", "patch", "update", "delete", "create"]
        return self.send_json(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
             "verbs": verbs, "shortNames": ["no"]},
            {"name": "nodes/status", "singularName": "", "namespaced": False, "kind": "Node",
             "verbs": ["get", "patch", "update"]}]})

    def list(self, query):
        limit = int(query.get("limit") or 0)
        with self.store.lock:
            if "continue" in query:
                token = json.loads(base64.b64decode(query["continue"]))
                if token["rv"] <= self.store.compacted:
                    return self.send_json(410, status(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result."))
                items, rv, start = token["items"], token["rv"], token["start"]
            else:
                items = sorted(self.store.nodes.values(), key=lambda n: n["metadata"]["name"])
                items, rv, start = copy.deepcopy(items), self.store.rv, 0
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": str(rv)}
        if limit and start + limit < len(items):
            # The real server encodes a key to resume from; the snapshot makes pages consistent.
            cont = {"rv": rv, "start": start + limit, "items": items}
            meta["continue"] = base64.b64encode(json.dumps(cont).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        self.send_json(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": meta, "items": page})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, kind, obj):
        self.chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

    def watch(self, query):
        store = self.store
        timeout = float(query.get("timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        with store.lock:
            since = query.get("resourceVersion")
            backlog = []
            if since in (None, "", "0"):
                backlog = [("ADDED", copy.deepcopy(n)) for n in store.nodes.values()]
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
                    pending = [e for e in store.history if e[0] > since]
                    while (not pending and store.expire_gen == expire_gen and store.drop_gen == drop_gen
                           and store.bookmark_gen == bookmark_gen and time.monotonic() < deadline):
                        store.lock.wait(max(0.0, min(1.0, deadline - time.monotonic())))
                        pending = [e for e in store.history if e[0] > since]
                    expired, rv = store.expire_gen != expire_gen, store.rv
                    drop = store.drop_mode if store.drop_gen != drop_gen else None
                    bookmark = store.bookmark_gen != bookmark_gen
                    drop_gen, bookmark_gen = store.drop_gen, store.bookmark_gen
                cut_next = cut_next or drop == "mid-event"
                if expired:
                    self.event("ERROR", status(410, "Expired", f"too old resource version: {since} ({rv})"))
                    return self.chunk(b"")
                if cut_next and pending:
                    data = json.dumps({"type": pending[0][1], "object": pending[0][2]}).encode() + b"\n"
                    self.wfile.write(b"%x\r\n%s" % (len(data), data[:len(data) // 2]))
                    self.wfile.flush()
                    return self.hang_up()
                for rv_, kind, obj in pending:
                    self.event(kind, obj)
                    since = rv_
                if bookmark and bookmarks:
                    # Every event up to rv has been sent: resuming from rv misses nothing.
                    self.event("BOOKMARK", {"kind": "Node", "apiVersion": "v1",
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

    def patch(self, name, subresource, body):
        kind = (self.headers.get("Content-Type") or "").split(";")[0]
        if kind not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            return self.send_json(415, status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}"))
        try:
            patch = json.loads(body)
        except ValueError as error:
            return self.send_json(400, status(400, "BadRequest", f"invalid patch: {error}"))
        with self.store.lock:
            node = self.store.nodes.get(name)
            if node is None:
                return self.send_json(404, status(404, "NotFound", f'nodes "{name}" not found', {"name": name, "kind": "nodes"}))
            # nodes/status changes only status; the node itself everything but status.
            patch = {"status": patch.get("status", {})} if subresource else {k: v for k, v in patch.items() if k != "status"}
            updated = merge(node, patch, kind.startswith("application/strategic"))
            if updated != node:
                self.store.nodes[name] = updated
                self.store.record("MODIFIED", updated)
            node = copy.deepcopy(self.store.nodes[name])
        self.send_json(200, node)

    def control(self, method, op):
        store = self.store
        arg = json.loads(self.body() or b"{}") if method == "POST" else {}
        with store.lock:
            if op == "state":
                return self.send_json(200, {"resourceVersion": store.rv, "watchers": store.watchers})
            if op == "requests":
                return self.send_json(200, store.requests)
            if op == "reset-requests":
                store.requests = []
            elif op == "put-node":
                return self.send_json(200, store.put(arg))
            elif op == "get-node":
                return self.send_json(200, store.nodes[arg["name"]])
            elif op == "delete-node":
                node = store.nodes.pop(arg["name"])
                store.record("DELETED", node)
            elif op in ("compact", "expire-watches"):
                if "node" in arg:
                    store.put(arg["node"])  # a change open watches never deliver: only a list shows it
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
    args = parser.parse_args()
    tokens = {}
    for spec in args.token:
        token, _, verbs = spec.partition("=")
        tokens[token] = verbs.split(",") if verbs else ["*"]
    Handler.store = Store(tokens)
    if args.nodes:
        with open(args.nodes) as file:
            with Handler.store.lock:
                for node in json.load(file):
                    Handler.store.put(node)
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
