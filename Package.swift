// swift-tools-version:6.0
import PackageDescription

/// Trellis: a Kubernetes CNI plugin (`trellis`), its node agent (`trellisd`) and the operator's
/// CLI (`cnictl`). Module boundaries follow `DESIGN.md`: only `Netlink` calls libnl, the plugin
/// never talks to the datastore, the reconciler never parses JSON.
let package = Package(
    name: "Trellis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trellis", targets: ["trellis"]),
        .executable(name: "trellisd", targets: ["trellisd"]),
        .executable(name: "cnictl", targets: ["CnictlMain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        // The values every module shares: IP addresses and prefixes, MACs, cluster nodes.
        .target(name: "NetworkModel"),
        // The YAML that kubeconfigs and manifests use, read without full Foundation.
        .target(name: "YAML"),
        .target(name: "IPAM", dependencies: ["NetworkModel"]),
        .target(name: "Netlink", dependencies: ["CNetlink", "NetworkModel"]),
        .target(name: "CNI", dependencies: ["NetworkModel"]),
        .target(name: "PodNetwork", dependencies: ["Netlink", "IPAM", "NetworkModel"]),
        .target(name: "Cluster", dependencies: [
            "NetworkModel",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            "YAML",
        ]),
        .target(name: "Overlay", dependencies: [
            "Netlink", "NetworkModel",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // NetworkPolicy: the pure compiler and its nftables transactions.
        .target(name: "Policy", dependencies: ["NetworkModel"]),
        // Kubernetes' policy objects, as Cluster decodes them, translated into Policy's values.
        .target(name: "KubePolicy", dependencies: ["Cluster", "Policy", "NetworkModel", .product(name: "Logging", package: "swift-log")]),
        // What the agent serves on /status and cnictl reads: JSON values only.
        .target(name: "AgentAPI", dependencies: ["NetworkModel"]),
        // The node agent as a library: orchestration, readiness, the status server.
        .target(name: "Agent", dependencies: [
            "AgentAPI", "Overlay", "Cluster", "IPAM", "Netlink", "NetworkModel", "Policy", "KubePolicy", "PodNetwork",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "trellis", dependencies: ["CNI", "IPAM", "PodNetwork", "NetworkModel"]),
        .executableTarget(name: "trellisd", dependencies: [
            "Agent", "Overlay", "Cluster", "IPAM", "Netlink", "NetworkModel", "Policy", "CnictlCommands",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // cnictl's commands, a library so that trellisd can answer as cnictl too: the image
        // holds one executable for both (half the size of two, each with its own Swift runtime).
        .target(name: "CnictlCommands", dependencies: [
            "AgentAPI", "IPAM", "Netlink", "NetworkModel", "PodNetwork",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/cnictl"),
        .executableTarget(name: "CnictlMain", dependencies: ["CnictlCommands"]),

        .target(name: "TestSupport", dependencies: ["Netlink"], path: "Tests/TestSupport"),
        .testTarget(name: "NetworkModelTests", dependencies: ["NetworkModel"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "IPAMTests", dependencies: ["IPAM", "NetworkModel"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "NetworkModel", "TestSupport"]),
        .testTarget(name: "CNITests", dependencies: ["CNI", "NetworkModel"]),
        .testTarget(name: "PodNetworkTests", dependencies: ["PodNetwork", "NetworkModel", "TestSupport"]),
        .testTarget(name: "OverlayTests", dependencies: ["Overlay", "NetworkModel", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "NetworkModel", "TestSupport"],
                    exclude: ["Fixtures", "kube-api-server.py"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "NetworkModel", "TestSupport"]),
        .testTarget(name: "KubePolicyTests", dependencies: ["KubePolicy", "Cluster", "Policy", "NetworkModel"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Policy", "KubePolicy", "IPAM", "PodNetwork", "Cluster", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "NetworkModel", "IPAM", "YAML"],
                    exclude: ["cri"]),  // Python scripts the CRI tests run by path
    ]
)
