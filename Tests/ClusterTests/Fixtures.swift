import NetworkModel
import Cluster
import IPAM
import Logging
import Testing
import TestSupport

/// A registration for node `n<index>`: underlay 198.18.0.<10+index>, a distinct VTEP MAC.
func registration(_ index: Int) -> NodeRegistration {
    NodeRegistration(name: "n\(index)", publicIP: IPAddress("198.18.0.\(10 + index)")!,
                     vtepMAC: "0a:58:00:00:00:\(String(index, radix: 16).count == 1 ? "0" : "")\(String(index, radix: 16))",
                     backend: .vxlan)
}

/// Retries fast, so outage tests recover within a second.
let fastRetry = RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .milliseconds(500))

let testLogger: Logger = {
    var logger = Logger(label: "trellis.cluster.tests")
    logger.logLevel = .notice
    return logger
}()

/// An `EtcdNodeSource` on `server` with the test defaults.
/// `clusterCIDR` may be dual (`10.244.0.0/16,fd00:10:244::/56`): IPv6 slices are /`sliceLengthV6`.
func makeSource(_ server: EtcdServer, endpoints: [String]? = nil, clusterCIDR: String = "10.244.0.0/16",
                sliceLength: Int = 24, sliceLengthV6: Int = 64, leaseTTL: Duration = .seconds(60),
                retry: RetryPolicy = fastRetry) throws -> EtcdNodeSource {
    try EtcdNodeSource(endpoints: endpoints ?? [server.endpoint],
                       clusterCIDRs: clusterCIDR.split(separator: ",").map { IPPrefix(String($0))! },
                       nodeSubnetLength: sliceLength, nodeSubnetLengthV6: sliceLengthV6, leaseTTL: leaseTTL,
                       requestTimeout: .seconds(3), retry: retry, logger: testLogger)
}

/// A client URL where nothing listens.
func deadEndpoint() throws -> String {
    "http://127.0.0.1:\(try freePort())"
}

/// A record as `EtcdNodeSource` writes it, for writing nodes by hand.
func recordJSON(publicIP: String, podCIDR: String) -> [UInt8] {
    Array(#"{"backend":"vxlan","podCIDR":"\#(podCIDR)","publicIP":"\#(publicIP)","vtepMAC":"0a:58:00:00:00:99"}"#.utf8)
}

/// Every test that starts an etcd runs inside this suite, one at a time: lease timing on two
/// shared cores is not something to run a dozen etcd members in parallel against.
@Suite("etcd integration", .serialized, .timeLimit(.minutes(2)))
struct EtcdIntegration {}
