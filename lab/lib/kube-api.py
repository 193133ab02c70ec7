#!/usr/bin/env python3
"""The project's test API server (Tests/ClusterTests/kube-api-server.py) on the lab's bridge.

That server listens on 127.0.0.1 only (its tests run it beside themselves); the lab's agents reach
it from other namespaces, so this runs it unchanged with its listening address replaced by
LAB_KUBE_BIND. Arguments are the server's own.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "..", "Tests", "ClusterTests", "kube-api-server.py")

spec = importlib.util.spec_from_file_location("kube_api_server", SERVER)
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)


class BoundServer(server.ThreadingHTTPServer):
    def __init__(self, address, handler):
        super().__init__((os.environ["LAB_KUBE_BIND"], address[1]), handler)


server.ThreadingHTTPServer = BoundServer
sys.exit(server.main())
