#!/usr/bin/env python3
"""Servers and probes for NetworkPolicy in the lab (stdlib only), run inside a pod's namespace.

  netpol.py serve                 answers on TCP and UDP ports 80 and 81, IPv4 and IPv6: a TCP
                                  connection gets "ok\\n", a UDP datagram gets "ok\\n" back
  netpol.py probe TARGET...       TARGET is NAME=ADDRESS/PROTOCOL/PORT; probes all at once and
                                  prints "NAME 1" (answered) or "NAME 0" (no answer within the
                                  timeout, refused, unreachable), one line each, in order

PROBE_SOURCE_PORT fixes the source port (probing one UDP flow twice). A probe that policy drops
times out (PROBE_TIMEOUT seconds, default 1.5); one that reaches a pod
without a server is refused at once. Both print 0.
"""
import os
import socket
import sys
import threading

PORTS = (80, 81)
TIMEOUT = float(os.environ.get("PROBE_TIMEOUT", "1.5"))
SOURCE_PORT = int(os.environ.get("PROBE_SOURCE_PORT", "0"))


def serve():
    threads = []
    for port in PORTS:
        tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("::", port))
        tcp.listen(128)
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        udp.bind(("::", port))
        threads += [threading.Thread(target=accept, args=(tcp,), daemon=True),
                    threading.Thread(target=echo, args=(udp,), daemon=True)]
    for thread in threads:
        thread.start()
    print("serving", flush=True)
    for thread in threads:
        thread.join()


def accept(server):
    while True:
        connection, _ = server.accept()
        try:
            connection.sendall(b"ok\n")
        except OSError:
            pass
        finally:
            connection.close()


def echo(server):
    while True:
        _, peer = server.recvfrom(512)
        try:
            server.sendto(b"ok\n", peer)
        except OSError:
            pass


def probe(address, protocol, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family, kind) as sock:
        sock.settimeout(TIMEOUT)
        try:
            if SOURCE_PORT:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", SOURCE_PORT))
            sock.connect((address, port))
            if protocol == "udp":
                sock.send(b"probe\n")
            return sock.recv(16).startswith(b"ok")
        except OSError:
            return False


def main(argv):
    if argv[:1] == ["serve"]:
        serve()
        return 0
    if argv[:1] != ["probe"]:
        print(__doc__, file=sys.stderr)
        return 2
    targets = []
    for arg in argv[1:]:
        name, _, spec = arg.partition("=")
        address, protocol, port = spec.rsplit("/", 2)
        targets.append((name, address, protocol, int(port)))
    results = [None] * len(targets)

    def run(index, target):
        results[index] = probe(*target[1:])

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for (name, *_), ok in zip(targets, results):
        print(f"{name} {1 if ok else 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
