#!/usr/bin/env python3
"""A small CRI client for the end-to-end tests: talks gRPC to containerd's CRI plugin over its
unix socket, as kubelet does, and prints one JSON object per command on stdout.

    cri.py --socket SOCK run-sandboxes NAME [--count N] [--port HOST:CONTAINER]
        RunPodSandbox of N pods (NAME, or NAME-1..NAME-N) at once, then PodSandboxStatus of
        each; prints {"sandboxes": [{"name", "id", "ip"} or {"name", "error"}]}
    cri.py --socket SOCK status ID       {"state", "ip"} from PodSandboxStatus
    cri.py --socket SOCK stop ID         StopPodSandbox (CNI DEL with the netns)
    cri.py --socket SOCK remove ID       RemovePodSandbox (CNI DEL without the netns)
    cri.py --socket SOCK list            {"sandboxes": [{"id", "name", "state"}]}
    cri.py --socket SOCK run-container SANDBOX_ID SANDBOX_NAME IMAGE [--name NAME] ARGV...
        CreateContainer + StartContainer in the sandbox; prints {"id"}
    cri.py --socket SOCK exec CONTAINER_ID ARGV...
        ExecSync; prints {"exitCode", "stdout", "stderr"}
    cri.py --socket SOCK remove-all      stops and removes every sandbox (teardown)

A gRPC error exits 1 with the runtime's message on stderr. Uses `container-runtime-interface-api`
from PyPI (the Makefile puts it in a venv).
"""
import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import grpc
from cri_api.v1 import api_pb2 as api
from cri_api.v1 import api_pb2_grpc as api_grpc

POD_NAMESPACE = "trellis-e2e"


def sandbox_config(name, ports=()):
    """The PodSandboxConfig of pod NAME; CreateContainer must send the same one."""
    return api.PodSandboxConfig(
        metadata=api.PodSandboxMetadata(name=name, uid="uid-" + name, namespace=POD_NAMESPACE, attempt=0),
        hostname=name,
        port_mappings=[api.PortMapping(protocol=api.TCP, host_port=host, container_port=container)
                       for host, container in ports],
        linux=api.LinuxPodSandboxConfig(security_context=api.LinuxSandboxSecurityContext(
            namespace_options=api.NamespaceOption(network=api.POD, pid=api.CONTAINER, ipc=api.POD))),
    )


def sandbox_ip(runtime, sandbox_id):
    status = runtime.PodSandboxStatus(api.PodSandboxStatusRequest(pod_sandbox_id=sandbox_id)).status
    return status.network.ip, api.PodSandboxState.Name(status.state)


def run_sandboxes(runtime, args):
    names = [args.name] if args.count == 1 else [f"{args.name}-{index}" for index in range(1, args.count + 1)]
    ports = [tuple(int(part) for part in port.split(":")) for port in args.port]

    def run_one(name):
        try:
            reply = runtime.RunPodSandbox(api.RunPodSandboxRequest(config=sandbox_config(name, ports)))
            return {"name": name, "id": reply.pod_sandbox_id, "ip": sandbox_ip(runtime, reply.pod_sandbox_id)[0]}
        except grpc.RpcError as error:
            return {"name": name, "error": error.details()}

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return {"sandboxes": list(pool.map(run_one, names))}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run-sandboxes")
    run.add_argument("name")
    run.add_argument("--count", type=int, default=1)
    run.add_argument("--port", action="append", default=[])
    for command in ("status", "stop", "remove"):
        commands.add_parser(command).add_argument("id")
    commands.add_parser("list")
    commands.add_parser("remove-all")
    container = commands.add_parser("run-container")
    for name in ("sandbox_id", "sandbox_name", "image"):
        container.add_argument(name)
    container.add_argument("--name", default="main")
    container.add_argument("argv", nargs=argparse.REMAINDER)
    execute = commands.add_parser("exec")
    execute.add_argument("id")
    execute.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    runtime = api_grpc.RuntimeServiceStub(grpc.insecure_channel("unix://" + args.socket))
    try:
        if args.command == "run-sandboxes":
            result = run_sandboxes(runtime, args)
        elif args.command == "status":
            ip, state = sandbox_ip(runtime, args.id)
            result = {"ip": ip, "state": state}
        elif args.command == "stop":
            runtime.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=args.id))
            result = {}
        elif args.command == "remove":
            runtime.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=args.id))
            result = {}
        elif args.command == "list":
            items = runtime.ListPodSandbox(api.ListPodSandboxRequest()).items
            result = {"sandboxes": [{"id": item.id, "name": item.metadata.name,
                                     "state": api.PodSandboxState.Name(item.state)} for item in items]}
        elif args.command == "remove-all":
            items = runtime.ListPodSandbox(api.ListPodSandboxRequest()).items
            for item in items:
                runtime.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=item.id))
                runtime.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=item.id))
            result = {"removed": len(items)}
        elif args.command == "run-container":
            config = api.ContainerConfig(
                metadata=api.ContainerMetadata(name=args.name, attempt=0),
                image=api.ImageSpec(image=args.image), command=args.argv[:1], args=args.argv[1:],
                log_path=args.name + ".log")
            created = runtime.CreateContainer(api.CreateContainerRequest(
                pod_sandbox_id=args.sandbox_id, config=config, sandbox_config=sandbox_config(args.sandbox_name)))
            runtime.StartContainer(api.StartContainerRequest(container_id=created.container_id))
            result = {"id": created.container_id}
        elif args.command == "exec":
            reply = runtime.ExecSync(api.ExecSyncRequest(container_id=args.id, cmd=args.argv, timeout=10))
            result = {"exitCode": reply.exit_code, "stdout": reply.stdout.decode(errors="replace"),
                      "stderr": reply.stderr.decode(errors="replace")}
    except grpc.RpcError as error:
        print(f"{args.command}: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
