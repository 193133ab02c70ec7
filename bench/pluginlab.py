"""Shared by the plugin benchmarks (plugin-latency, plugin-burst): a node network namespace with
pod namespaces, trellis and the reference ptp + host-local configured side by side, and plugin
calls made the way a runtime makes them. Python stdlib only.

How calls are made: the benchmark process itself enters the node's network namespace
(`setns(2)`, as a runtime lives there) and spawns each plugin directly with the CNI variables in
its environment and the config on stdin; no `nsenter` or `ip netns exec` per call, which would add
milliseconds to both sides. A call is timed from its spawn to its exit (reaped by `wait4`, which
also gives the CPU time of the plugin and its children).
"""

import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import time

from agentlab import netns

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_ADDRESS = "198.18.0.10/32"
TRELLIS_SLICE = "10.244.1.0/24"
REFERENCE_SLICE = "10.244.2.0/24"
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def run(*argv, stdin=None):
    """Runs a setup command (not timed); fails loudly with its stderr."""
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def memfd(name, content=b""):
    fd = os.memfd_create(name)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def read_all(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


class Call:
    """One plugin process, started at once; `finish` records its wall time (spawn to reap), CPU
    time (user + system, children included), exit status and output."""

    def __init__(self, argv, env, stdin):
        self.fds = [memfd("stdin", stdin), memfd("stdout"), memfd("stderr")]
        actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(self.fds)]
        self.start = time.perf_counter_ns()
        self.pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)

    def finish(self, status, usage):
        self.wall_ms = (time.perf_counter_ns() - self.start) / 1e6
        self.cpu_ms = (usage.ru_utime + usage.ru_stime) * 1e3
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.stdout = read_all(self.fds[1])
        self.stderr = read_all(self.fds[2])
        for fd in self.fds:
            os.close(fd)
        return self

    def wait(self):
        """Waits for this call alone."""
        _, status, usage = os.wait4(self.pid, 0)
        return self.finish(status, usage)


def wait_all(calls):
    """Waits for every call of a concurrent batch, each timed at its own exit."""
    pending = {call.pid: call for call in calls}
    while pending:
        pid, status, usage = os.wait4(-1, 0)
        if pid in pending:
            pending.pop(pid).finish(status, usage)
    return calls


class Plugin:
    """One plugin under test: how to call it, its config, and what its ADDs returned."""

    def __init__(self, name, binary, config, slice_, host_prefix, cni_path):
        self.name, self.binary, self.config = name, binary, config
        self.slice = ipaddress.ip_network(slice_)
        self.host_prefix = host_prefix
        self.cni_path = cni_path
        self.results = {}

    def start(self, command, pod, netns_path=None):
        """Spawns `command` for `pod` (whose namespace is at `netns_path`). DEL carries the ADD's
        result as prevResult, as libcni sends it."""
        container_id = hashlib.sha256(f"{self.name}-{pod}".encode()).hexdigest()
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns_path or "",
               "CNI_IFNAME": "eth0", "CNI_PATH": self.cni_path, "PATH": PATH,
               "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-{pod};"
                           f"K8S_POD_INFRA_CONTAINER_ID={container_id}"}
        if command == "VERSION":
            env = {"CNI_COMMAND": command, "PATH": PATH}
        config = dict(self.config)
        if command == "DEL":
            config["prevResult"] = self.results.pop(pod)
        call = Call([self.binary], env, json.dumps(config).encode())
        call.command, call.pod = command, pod
        return call

    def verify(self, call):
        """Fails the benchmark unless `call` succeeded (an ADD: with an address in the slice)."""
        def fail(reason):
            raise SystemExit(f"{self.name} {call.command} of pod {call.pod} {reason}\n"
                             f"  exit {call.exit_code}\n  stdout: {call.stdout.decode(errors='replace')}\n"
                             f"  stderr: {call.stderr.decode(errors='replace')}")
        if call.exit_code != 0:
            fail("failed")
        if call.command != "ADD":
            return call
        try:
            result = json.loads(call.stdout)
            address = ipaddress.ip_interface(result["ips"][0]["address"]).ip
        except (ValueError, KeyError, IndexError, TypeError):
            fail("printed no result with an address")
        if address not in self.slice:
            fail(f"gave {address}, outside {self.slice}")
        self.results[call.pod] = result
        return call


class Lab:
    """The node namespace, the pod namespaces and the temporary directory; `close` removes them
    all and is safe to call at any point of the setup."""

    def __init__(self, tag):
        self.prefix = f"trellis-{tag}-{os.getpid()}"
        self.namespaces = []
        self.root = tempfile.mkdtemp(prefix=f"trellis-{tag}-")
        self.node = None

    def add_namespaces(self, names):
        self.namespaces += names
        run("ip", "-batch", "-", stdin="".join(f"netns add {n}\n" for n in names))

    def make_node(self):
        """The node namespace, with the node's address on `lo`."""
        self.node = f"{self.prefix}-node"
        self.add_namespaces([self.node])
        run("ip", "-n", self.node, "link", "set", "lo", "up")
        run("ip", "-n", self.node, "addr", "add", NODE_ADDRESS, "dev", "lo")
        return self.node

    def pods(self, plugins, pods):
        """One namespace per plugin and pod, by (plugin name, pod): their paths."""
        paths = {(p.name, pod): f"/var/run/netns/{self.prefix}-{tag}{pod}" for p, tag in zip(plugins, "tr") for pod in pods}
        self.add_namespaces([path.rsplit("/", 1)[1] for path in paths.values()])
        return paths

    def host_links(self, plugin):
        """How many host veths of `plugin` the node holds."""
        links = json.loads(run("ip", "-n", self.node, "-j", "link", "show"))
        return sum(1 for link in links if link["ifname"].startswith(plugin.host_prefix))

    def expect_host_links(self, plugins, expected, within=5.0):
        """Fails unless every plugin holds `expected` host veths (waiting up to `within` seconds,
        for veths a detached process is still deleting)."""
        deadline = time.monotonic() + within
        while True:
            counts = {p.name: self.host_links(p) for p in plugins}
            if all(count == expected for count in counts.values()):
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"host veths in the node: {counts}, expected {expected} each")
            time.sleep(0.05)

    def close(self):
        if self.namespaces:
            subprocess.run(["ip", "-force", "-batch", "-"], input="".join(f"netns del {n}\n" for n in self.namespaces),
                           text=True, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def make_plugins(trellis_binary, reference_dir, lab):
    """trellis (reading a node.json with its slice) and ptp + host-local, both with stores under
    the lab's root (ext4 or whatever /tmp is, as /var/lib/cni would be)."""
    for path in (trellis_binary, os.path.join(reference_dir, "ptp"), os.path.join(reference_dir, "host-local")):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{path} is missing or not executable (make release?)")
    run_dir = os.path.join(lab.root, "trellis-run")
    os.makedirs(run_dir)
    with open(os.path.join(run_dir, "node.json"), "w", encoding="utf-8") as file:
        json.dump({"nodeName": "bench", "podCIDRs": [TRELLIS_SLICE], "clusterCIDRs": ["10.244.0.0/16"],
                   "mtu": 1450, "mode": "vxlan"}, file)
    trellis = Plugin("trellis", trellis_binary,
                     {"cniVersion": "1.0.0", "name": "bench-trellis", "type": "trellis", "runDir": run_dir,
                      "dataDir": os.path.join(lab.root, "trellis-data")},
                     TRELLIS_SLICE, "trl", reference_dir)
    reference = Plugin("ptp + host-local", os.path.join(reference_dir, "ptp"),
                       {"cniVersion": "1.0.0", "name": "bench-ptp", "type": "ptp", "ipMasq": False, "mtu": 1450,
                        "ipam": {"type": "host-local", "ranges": [[{"subnet": REFERENCE_SLICE}]],
                                 "dataDir": os.path.join(lab.root, "host-local-data")}},
                     REFERENCE_SLICE, "veth", reference_dir)
    return trellis, reference


def default_trellis():
    """$TRELLIS_BIN, else the release build."""
    return os.environ.get("TRELLIS_BIN", os.path.join(REPO, ".build/release/trellis"))
