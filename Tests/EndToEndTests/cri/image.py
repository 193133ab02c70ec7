#!/usr/bin/env python3
"""Writes an OCI image layout tarball for containerd's `ctr images import`, made without a
registry: one layer holding Debian's static busybox (with links for the tools the tests use) and
`/pause`, a shell loop that sleeps until SIGTERM. Serves as the sandbox (pause) image and as the
containers' image.

    image.py OUTPUT.tar IMAGE_NAME
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile

TOOLS = ["sh", "ip", "ping", "sleep", "cat", "nc", "wget", "hostname"]
PAUSE = b"#!/bin/sh\ntrap 'exit 0' TERM INT\nwhile :; do sleep 3600 & wait $!; done\n"


def add_file(archive, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def layer():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for directory in ("bin", "tmp", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755
            archive.addfile(info)
        with open("/bin/busybox", "rb") as busybox:
            add_file(archive, "bin/busybox", busybox.read(), 0o755)
        for tool in TOOLS:
            info = tarfile.TarInfo("bin/" + tool)
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            archive.addfile(info)
        add_file(archive, "pause", PAUSE, 0o755)
    diff = raw.getvalue()
    return gzip.compress(diff, mtime=0), "sha256:" + hashlib.sha256(diff).hexdigest()


def blob(archive, data):
    digest = hashlib.sha256(data).hexdigest()
    add_file(archive, "blobs/sha256/" + digest, data, 0o644)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main(output, name):
    compressed, diff_id = layer()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/pause"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    with tarfile.open(output, "w") as archive:
        add_file(archive, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}', 0o644)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(archive, config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(archive, compressed)}],
        }).encode()
        index = json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", **blob(archive, manifest),
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": "lab"},
        }]}).encode()
        add_file(archive, "index.json", index, 0o644)


if __name__ == "__main__":
    main(*sys.argv[1:3])
