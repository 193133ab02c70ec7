import NetworkModel
import Foundation
import IPAM
@testable import CNI

/// Shared inputs: a valid environment per verb, configurations, and the results Trellis returns.
enum Fixture {
    static let containerID = "0c2f4a6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a"
    static let netns = "/var/run/netns/cni-1234"

    /// A complete environment for `command`; `overrides` replace or (with "") blank variables.
    static func environment(_ command: String,
                            _ overrides: [String: String] = [:]) -> [String: String] {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns,
                   "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin:/usr/lib/cni",
                   "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"]
        env.merge(overrides) { $1 }
        return env
    }

    /// A plugin configuration; `extra` is spliced in after `type` (start it with a comma).
    static func config(version: String = "1.1.0", extra: String = "") -> Data {
        Data(#"{"cniVersion":"\#(version)","name":"trellis","type":"trellis"\#(extra)}"#.utf8)
    }

    static func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    /// What an IPv4-only ADD returns: host veth, pod eth0, a /32 and a default route.
    static let ipv4Result = CNIResult(
        interfaces: [
            .init(name: "trl0123456789a", mac: "aa:bb:cc:00:00:01"),
            .init(name: "eth0", mac: "0a:58:0a:f4:01:05", mtu: 1450, sandbox: netns),
        ],
        ips: [.init(address: prefix("10.244.1.5/32"), gateway: address("169.254.1.1"), interface: 1)],
        routes: [.init(destination: prefix("0.0.0.0/0"), gateway: address("169.254.1.1"), mtu: 1450)])

    /// The same with an IPv6 address and default route added.
    static let dualStackResult: CNIResult = {
        var result = ipv4Result
        result.ips.append(.init(address: prefix("fd00:10:244:1::5/128"), gateway: address("fe80::1"),
                                interface: 1))
        result.routes.append(.init(destination: prefix("::/0"), gateway: address("fe80::1")))
        return result
    }()

    /// ``dualStackResult`` as it reads back from `version`: without the 1.1.0-only MTUs before it.
    static func dualStackResult(writtenIn version: CNIVersion) -> CNIResult {
        var result = dualStackResult
        if !version.hasExtendedAttributes {
            result.interfaces[1].mtu = nil
            result.routes[0].mtu = nil
        }
        return result
    }
}

func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
