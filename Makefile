# Trellis — build, test, benchmark and demo. Every target installs what it needs (`make deps`).
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Debian packages for building, the tests and the lab. `deps` is idempotent: it runs apt-get only
# when one of them is missing.
DEBS := libnl-3-dev libnl-route-3-dev libmnl-dev pkg-config iproute2 etcd-server etcd-client \
        nftables iperf3 iputils-ping containernetworking-plugins podman runc busybox-static \
        iptables jq procps util-linux kmod \
        containerd python3-venv

RELEASE_DIR := .build/release
# Release builds find libnl through build/pkgconfig-static, which names Debian's static archives:
# the shipped binaries carry the Swift runtime and libnl inside them. They are linked
# position-dependent (as Go links Flannel's and Calico's binaries): a position-independent
# trellisd had the loader patch 83,000 pointers at every start, reading 2 MB of relocations and
# copying 0.8 MB of pages, 1.5 MiB of the agent's resident memory. Its heap, stack and shared
# libraries are still placed at random; its own code no longer is.
SWIFT_RELEASE := PKG_CONFIG_PATH=$(CURDIR)/build/pkgconfig-static swift build -c release --static-swift-stdlib -Xlinker -no-pie
# The plugin, which starts once per pod ADD and DEL, is linked fully static (glibc included):
# no dynamic loader work at all, half the start time of the dynamically linked build. It does
# no name lookups, the one thing static glibc cannot do well. Built in a scratch dir of its own,
# then copied beside the other two.
PLUGIN_SCRATCH := .build/plugin
BINARIES := trellis trellisd cnictl

.PHONY: deps build release test bench demo clean cri-venv image

deps:
	@if ! dpkg-query -W -f='$${Status}\n' $(DEBS) 2>/dev/null | grep -v '^install ok installed$$' | grep -q . \
	    && [ "$$(dpkg-query -W -f='$${Status}\n' $(DEBS) 2>/dev/null | wc -l)" -eq "$(words $(DEBS))" ]; then \
	  echo "deps: all present"; \
	else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS); \
	fi

release: deps
	$(SWIFT_RELEASE)
	$(SWIFT_RELEASE) -Xswiftc -static-executable --product trellis --scratch-path $(PLUGIN_SCRATCH)
	cp $(PLUGIN_SCRATCH)/release/trellis $(RELEASE_DIR)/trellis
	@for b in $(BINARIES); do \
	  if ldd $(RELEASE_DIR)/$$b | grep -Eq 'libswift|libFoundation|libnl'; then \
	    echo "$$b links Swift or libnl dynamically:"; ldd $(RELEASE_DIR)/$$b; exit 1; fi; done
	@echo "release: $(addprefix $(RELEASE_DIR)/,$(BINARIES)) (Swift runtime and libnl linked statically)"

build: release
	swift build --build-tests

# The CRI tests (Tests/EndToEndTests/CRI*.swift) talk to containerd through Tests/EndToEndTests/cri/cri.py,
# which uses the CRI stubs of `container-runtime-interface-api` from PyPI, kept in a venv of its own.
CRI_VENV := .build/cri-venv
cri-venv: $(CRI_VENV)/.installed
$(CRI_VENV)/.installed: | deps
	rm -rf $(CRI_VENV)
	/usr/bin/python3 -m venv $(CRI_VENV)
	$(CRI_VENV)/bin/pip install -q container-runtime-interface-api==2.0.1
	touch $@

# The DaemonSet test (Tests/EndToEndTests/DaemonSetTests.swift) runs the manifest's pod template
# from the image, so the image is built first. The end-to-end suites run after the others, in a
# run of their own: they wait on labs and processes synchronously, and sharing the test runner's
# few threads with them would starve the suites that time asynchronous behaviour.
TEST_ENV := TRELLIS_BIN_DIR=$(CURDIR)/$(RELEASE_DIR) TRELLIS_CRI_PYTHON=$(CURDIR)/$(CRI_VENV)/bin/python
test: build cri-venv image
	$(TEST_ENV) swift test --skip-build --skip EndToEndTests
	$(TEST_ENV) swift test --skip-build --filter EndToEndTests

# The image deploy/trellis.yaml runs, built offline with podman FROM scratch (deploy/Containerfile):
# the executables stripped, nft and the libraries they load. Prints its size; fails over 60 MB.
IMAGE := localhost/trellis:0.1.0
IMAGE_ROOT := .build/image-root
image: release
	deploy/image-rootfs $(IMAGE_ROOT) $(RELEASE_DIR)
	podman build --pull=never -q -f deploy/Containerfile -t $(IMAGE) $(IMAGE_ROOT)
	@du -b $(IMAGE_ROOT)/opt/trellis/bin/* | awk '{ printf "  %s %.1f MB\n", $$2, $$1 / 1000000 }'
	@podman image inspect --format '{{.Size}}' $(IMAGE) | \
	  awk '{ printf "image: $(IMAGE), %.1f MB\n", $$1 / 1000000; if ($$1 > 60000000) { print "image: over its 60 MB budget"; exit 1 } }'

# Every benchmark in bench/ against its anchor, in one run, as one table (bench/run --help).
# BENCH picks some by name: `make bench BENCH=plugin-latency`.
bench: release
	TRELLIS_BIN=$(CURDIR)/$(RELEASE_DIR)/trellis bench/run $(BENCH)

# A 3-node lab in vxlan mode (lab/README.md): pods, a connectivity matrix, routes, teardown.
demo: release
	TRELLIS_BIN_DIR=$(CURDIR)/$(RELEASE_DIR) lab/demo

clean:
	rm -rf .build
