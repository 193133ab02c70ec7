"""Shared by the agent benchmarks (agent-convergence, agent-event, pod-throughput): a lab from
lab/lab under a name of its own, fake peer records in its etcd, extra node namespaces on the
lab's bridge, and a netlink listener that counts what the agent writes. Python stdlib only.

How this reaches inside the lab without touching the host's own network namespace: sockets are
opened after `setns(2)` into the lab namespace that should own them (etcd's, a node's) and the
thread switches straight back; a socket keeps the namespace it was created in. Nothing here adds
an address, route or device outside the lab's namespaces, and fake peers' public IPs
(198.18.32.0/19) are in no namespace at all: their FDB entries are never used to send.
"""

import base64
import contextlib
import ctypes
import http.client
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(REPO, "lab", "lab")
ROUTE_PROTOCOL = 126
VXLAN_DEVICE = "trellis.vxlan"
# Fake peers: pod slices out of 10.128.0.0/9 (never the lab's 10.244.0.0/16), public IPs out of
# 198.18.32.0/19 (inside the lab's underlay range, but no namespace holds them).
PEER_CLUSTER_CIDR = "10.128.0.0/9"
PEER_PUBLIC_BASE = ipaddress.ip_address("198.18.32.0")

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


def bin_dir():
    """Where trellisd and trellis are: $TRELLIS_BIN_DIR, else the release build."""
    return os.path.abspath(os.environ.get("TRELLIS_BIN_DIR", os.path.join(REPO, ".build", "release")))


def run(*argv, stdin=None, env=None, check=True, timeout=120):
    """Runs a setup command (not timed); fails loudly with its stderr."""
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=timeout)
    if check and done.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


@contextlib.contextmanager
def netns(name):
    """Runs the block with this thread in network namespace `name` (`ip netns` name)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {name}")
        try:
            yield
        finally:
            if _libc.setns(own, _CLONE_NEWNET) != 0:
                raise SystemExit("cannot return to the benchmark's own network namespace")
    finally:
        os.close(own)
        os.close(target)


class NamespacedHTTP(http.client.HTTPConnection):
    """An HTTP connection whose socket (also a reconnect's) is opened inside a namespace."""

    def __init__(self, namespace, host, port, timeout=10):
        super().__init__(host, port, timeout=timeout)
        self.namespace = namespace

    def connect(self):
        with netns(self.namespace):
            super().connect()

    def call(self, method, path, body=None):
        """One request; returns (status, body bytes)."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.request(method, path, body=body, headers=headers)
        response = self.getresponse()
        return response.status, response.read()


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class Etcd:
    """The lab's etcd through its JSON gateway, on a keep-alive connection made inside the
    etcd namespace (127.0.0.1:2379 there)."""

    MAX_OPS = 128  # etcd's default --max-txn-ops

    def __init__(self, namespace):
        self.http = NamespacedHTTP(namespace, "127.0.0.1", 2379)

    def _post(self, path, payload):
        status, body = self.http.call("POST", path, json.dumps(payload))
        if status != 200:
            raise SystemExit(f"etcd {path}: HTTP {status}: {body[:300]!r}")
        return json.loads(body or b"{}")

    def put_all(self, pairs):
        """Writes the (key, value) pairs in transactions of at most MAX_OPS puts (no lease)."""
        for start in range(0, len(pairs), self.MAX_OPS):
            chunk = pairs[start:start + self.MAX_OPS]
            self._post("/v3/kv/txn", {"success": [{"requestPut": {"key": _b64(k), "value": _b64(v)}}
                                                  for k, v in chunk]})

    def delete(self, key):
        self._post("/v3/kv/deleterange", {"key": _b64(key)})

    def count_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return int(self._post("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(end),
                                               "count_only": True}).get("count", 0))

    def close(self):
        """Closes the connection."""
        self.http.close()


class Peer:
    """One fake node: slice number `index` of 10.128.0.0/9 and its record."""

    def __init__(self, index, tag="peer"):
        network = ipaddress.ip_network(PEER_CLUSTER_CIDR)
        self.name = f"bench-{tag}-{index}"
        self.slice = ipaddress.ip_network(f"{network.network_address + (index << 8)}/24")
        self.vtep_ip = str(self.slice.network_address)
        self.public_ip = str(PEER_PUBLIC_BASE + index + 1)
        # Locally administered, unicast (0x0e), unique per index.
        self.mac = "0e:be:%02x:%02x:%02x:%02x" % tuple((index + 1).to_bytes(4, "big"))

    def records(self):
        """The node key and the subnet lock key, both with the record, as an agent writes them."""
        record = json.dumps({"backend": "vxlan", "podCIDR": str(self.slice), "publicIP": self.public_ip,
                             "vtepMAC": self.mac}, separators=(",", ":"), sort_keys=True)
        return [(f"/trellis/v1/nodes/{self.name}", record),
                (f"/trellis/v1/subnets/{str(self.slice).replace('/', '-')}", record)]


class Lab:
    """A lab from lab/lab with a name and state dir of its own; `close` runs `lab down` (which
    stops everything the lab started and deletes its namespaces) and is safe at any point."""

    def __init__(self, tag):
        self.name = f"bench-{tag}-{os.getpid() % 100000}"
        self.root = tempfile.mkdtemp(prefix=f"trellis-{self.name}-")
        self.env = dict(os.environ, LAB=self.name, LAB_STATE_DIR=os.path.join(self.root, "lab"),
                        TRELLIS_BIN_DIR=bin_dir())
        self.started = False

    def __call__(self, *args, timeout=180):
        """Runs `lab/lab ARGS...` for this lab; returns its stdout."""
        return run(LAB, *args, env=self.env, timeout=timeout)

    def up(self, nodes, mode, resync="30s"):
        self.started = True
        self("up", "--nodes", str(nodes), "--mode", mode, "--resync-interval", resync)

    def ns(self, target):
        """The namespace name of a node, pod, etcd, router or bridge of this lab."""
        return self("ns", target).strip()

    @property
    def state(self):
        return self.env["LAB_STATE_DIR"]

    def own_namespace(self, name):
        """Records an extra namespace in the lab's list, so `lab down` deletes it too."""
        with open(os.path.join(self.state, "namespaces"), "a", encoding="utf-8") as file:
            file.write(name + "\n")

    def close(self):
        if self.started:
            subprocess.run([LAB, "down"], env=self.env, capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)


def attach_node(lab, namespace, address):
    """A node namespace on the lab's near segment as lab/lab wires one: eth0 with `address`/24
    from a veth whose other end is a port of br-near, default route via the router."""
    lab.own_namespace(namespace)
    run("ip", "netns", "add", namespace)
    bridge = lab.ns("bridge")
    port = f"b{os.getpid() % 100000}{address.rsplit('.', 1)[1]}"[:15]
    run("ip", "-n", namespace, "link", "set", "lo", "up")
    run("ip", "-n", bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
    run("ip", "-n", bridge, "link", "set", port, "master", "br-near", "up")
    run("ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
    run("ip", "-n", namespace, "link", "set", "eth0", "up")
    run("ip", "-n", namespace, "route", "add", "default", "via", "198.18.0.1")


def kernel_counts(namespace):
    """(routes with protocol 126, permanent neighbours on the vxlan device, FDB entries with a
    destination on it) as one dump each reports them."""
    routes = run("ip", "-n", namespace, "route", "show", "proto", str(ROUTE_PROTOCOL)).count("\n")
    neighbours = run("ip", "-n", namespace, "neigh", "show", "dev", VXLAN_DEVICE, "nud", "permanent").count("\n")
    fdb = sum(1 for line in run("bridge", "-n", namespace, "fdb", "show", "dev", VXLAN_DEVICE).splitlines()
              if " dst " in line)
    return routes, neighbours, fdb


def clear_routes_then_nexthops(namespace):
    """Deletes the routes with protocol 126, then every nexthop object, in `namespace`: a
    namespace destroyed while it holds many nexthops with routes referring to them keeps the
    kernel busy for minutes (LAB-NOTES), one removed in this order goes at once."""
    run("ip", "-n", namespace, "route", "flush", "proto", str(ROUTE_PROTOCOL), check=False)
    run("ip", "-n", namespace, "-6", "route", "flush", "proto", str(ROUTE_PROTOCOL), check=False)
    run("ip", "-n", namespace, "nexthop", "flush", check=False)


def memory_kib(pid):
    """A running process's memory from /proc/PID/status, in KiB: VmHWM (the peak resident set),
    VmRSS, and the resident set's two parts, RssFile (pages of the executable and files) and
    RssAnon (the heap and stacks)."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as file:
        for line in file:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS", "RssFile", "RssAnon"):
                fields[name] = int(value.split()[0])
    if "VmHWM" not in fields:
        raise SystemExit(f"no VmHWM for pid {pid}")
    return fields


def vm_hwm_kib(pid):
    """The peak resident set (VmHWM) of a running process, in KiB."""
    return memory_kib(pid)["VmHWM"]


class Monitor:
    """A netlink listener opened inside a namespace that counts, as the kernel announces them,
    distinct routes with protocol 126 (main table), permanent IPv4 neighbours and FDB entries
    (AF_BRIDGE neighbours with a MAC), and notes when the vxlan device appeared
    (`device_created`, a perf_counter time). It must be opened before the writes it should see."""

    RTMGRP_LINK = 0x1
    RTMGRP_NEIGH = 0x4
    RTMGRP_IPV4_ROUTE = 0x40
    RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWNEIGH = 16, 24, 28
    NUD_PERMANENT = 0x80

    def __init__(self, namespace):
        with netns(namespace):
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 256 << 20)  # SO_RCVBUFFORCE: no overrun at 15,000 events
        self.sock.bind((0, self.RTMGRP_LINK | self.RTMGRP_NEIGH | self.RTMGRP_IPV4_ROUTE))
        self.routes, self.neighbours, self.fdb = set(), set(), set()
        self.device_created = None
        self.last_read = None  # perf_counter time of the last read that returned something
        self.buffer = bytearray(1 << 20)

    def close(self):
        """Closes the listener's socket."""
        self.sock.close()

    HEADER = struct.Struct("IH")
    ATTRIBUTE = struct.Struct("HH")
    ROUTE = struct.Struct("BBBBBB")
    NEIGHBOUR = struct.Struct("BBHiH")

    @classmethod
    def _attribute(cls, data, offset, end, wanted):
        """The payload of the first attribute of type `wanted` in data[offset:end], or None."""
        while offset + 4 <= end:
            length, kind = cls.ATTRIBUTE.unpack_from(data, offset)
            if length < 4:
                break
            if kind & 0x3FFF == wanted:
                return bytes(data[offset + 4:offset + length])
            offset += (length + 3) & ~3
        return None

    def _parse(self, data, size, now):
        # Kept lean: at 20,000 peers the kernel announces 60,000 entries, and on a two-CPU
        # machine every microsecond spent here is taken from the writer being timed.
        seen = []
        offset = 0
        while offset + 16 <= size:
            length, kind = self.HEADER.unpack_from(data, offset)
            if length < 16:
                break
            body, end = offset + 16, offset + length
            if kind == self.RTM_NEWROUTE:
                family, dst_len, _, _, table, protocol = self.ROUTE.unpack_from(data, body)
                if family == socket.AF_INET and protocol == ROUTE_PROTOCOL and table == 254:
                    key = (self._attribute(data, body + 12, end, 1), dst_len)
                    self.routes.add(key)
                    seen.append(("route", key))
            elif kind == self.RTM_NEWNEIGH:
                family, _, _, _, state = self.NEIGHBOUR.unpack_from(data, body)
                if family == socket.AF_INET:
                    if state & self.NUD_PERMANENT:
                        destination = self._attribute(data, body + 12, end, 1)
                        if destination is not None:
                            self.neighbours.add(destination)
                elif family == socket.AF_BRIDGE:
                    mac = self._attribute(data, body + 12, end, 2)
                    if mac is not None and self._attribute(data, body + 12, end, 1) is not None:
                        self.fdb.add(mac)
            elif kind == self.RTM_NEWLINK and self.device_created is None:
                name = self._attribute(data, body + 16, end, 3) or b""
                if name.rstrip(b"\0") == VXLAN_DEVICE.encode():
                    self.device_created = now
            offset += (length + 3) & ~3
        return seen

    def poll(self, timeout):
        """Reads what arrives within `timeout` seconds, and then whatever else is queued without
        waiting (one wake-up for a burst, not one per message); returns [(kind, key)] of routes
        seen and the monotonic time the last read returned (None when nothing came)."""
        self.sock.settimeout(timeout)
        try:
            size = self._receive()
        except socket.timeout:
            return [], None
        now = time.perf_counter()
        seen = self._parse(self.buffer, size, now)
        self.sock.settimeout(0)
        while True:
            try:
                size = self._receive()
            except BlockingIOError:
                self.last_read = now
                return seen, now
            now = time.perf_counter()
            seen += self._parse(self.buffer, size, now)

    def _receive(self):
        """One message into the buffer; fails the run when the kernel dropped events."""
        try:
            return self.sock.recv_into(self.buffer)
        except OSError as error:
            if error.errno == 105:  # ENOBUFS: events were lost; the caller must not trust counts
                raise SystemExit("netlink listener overran (ENOBUFS): events lost") from error
            raise

    def counts(self):
        """(routes, neighbours, FDB entries) seen so far."""
        return len(self.routes), len(self.neighbours), len(self.fdb)

    def wait_counts(self, expected, deadline, alive=lambda: True):
        """Reads until every count reaches `expected`; returns the time of the read that
        completed them (an earlier poll's, when that one already did). Fails at `deadline`
        (perf_counter) or when `alive()` turns false."""
        last = self.last_read
        while min(self.counts()) < expected:
            if time.perf_counter() > deadline:
                raise SystemExit(f"timed out: kernel holds routes/neighbours/FDB {self.counts()}, expected {expected}")
            if not alive():
                raise SystemExit(f"the writer exited with routes/neighbours/FDB at {self.counts()}")
            _, at = self.poll(0.2)
            last = at or last
        return last


def trellisd_command(node, namespace, run_dir, etcd_url, cluster_cidr, mode="vxlan", resync="30s"):
    """The agent's command line, run inside `namespace` as the lab runs it."""
    return ["ip", "netns", "exec", namespace, os.path.join(bin_dir(), "trellisd"), "run", "--node-name", node,
            "--datastore", "etcd", "--etcd-endpoints", etcd_url, "--cluster-cidr", cluster_cidr,
            "--node-subnet-size", "24", "--mode", mode, "--iface", "eth0", "--run-dir", run_dir,
            "--metrics-addr", "127.0.0.1:9469", "--resync-interval", resync]


def stop_process(process, grace=10):
    """SIGTERM, then SIGKILL after `grace` seconds; safe on an exited process."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def require_binaries(*names):
    """Fails, naming the fix, unless every named binary is in `bin_dir()`."""
    for name in names:
        path = os.path.join(bin_dir(), name)
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{path} is missing: make release (or TRELLIS_BIN_DIR=dir)")


def iperf(client_ns, server_ns, address, seconds):
    """Receiver-side bits per second of one TCP stream from client_ns to `address` in server_ns."""
    server = subprocess.Popen(["ip", "netns", "exec", server_ns, "iperf3", "-s", "-1", "-B", address],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        for _ in range(50):  # until the server listens (at most 5 s)
            if f"{address}:5201" in run("ip", "netns", "exec", server_ns, "ss", "-Hltn"):
                break
            time.sleep(0.1)
        done = subprocess.run(["ip", "netns", "exec", client_ns, "iperf3", "-c", address, "-t", str(seconds), "-J"],
                              capture_output=True, text=True, timeout=seconds + 20)
        if done.returncode != 0:
            raise SystemExit(f"iperf3 {client_ns} -> {address} failed: "
                             f"{done.stdout[-500:]} {done.stderr[-500:]}")
        return json.loads(done.stdout)["end"]["sum_received"]["bits_per_second"]
    finally:
        stop_process(server, grace=3)
