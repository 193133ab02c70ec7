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
        .executable(name: "cnictl", targets: ["cnictl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        .target(name: "IPAM"),
        .target(name: "Netlink", dependencies: ["CNetlink", "IPAM"]),
        .target(name: "CNI", dependencies: ["IPAM"]),
        .target(name: "PodNetwork", dependencies: ["Netlink", "IPAM"]),
        .target(name: "Cluster", dependencies: ["IPAM"]),
        .target(name: "Overlay", dependencies: ["Netlink", "Cluster", "IPAM"]),
        .executableTarget(name: "trellis", dependencies: ["CNI", "IPAM", "PodNetwork"]),
        .executableTarget(name: "trellisd", dependencies: [
            "Overlay", "Cluster", "IPAM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "cnictl", dependencies: [
            "IPAM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: ["Netlink"], path: "Tests/TestSupport"),
        .testTarget(name: "IPAMTests", dependencies: ["IPAM"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "TestSupport"]),
        .testTarget(name: "CNITests", dependencies: ["CNI"]),
        .testTarget(name: "PodNetworkTests", dependencies: ["PodNetwork", "TestSupport"]),
        .testTarget(name: "OverlayTests", dependencies: ["Overlay", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "IPAM"]),
    ]
)
