import Testing
@testable import NetworkModel

@Suite struct IPAddressTests {
    @Test func parsesAndPrintsBothFamilies() throws {
        #expect(IPAddress("10.244.1.5")?.description == "10.244.1.5")
        #expect(IPAddress("fd00:0:0::1")?.description == "fd00::1")
        #expect(IPAddress("10.244.1") == nil)
        #expect(IPAddress("10.244.1.5/24") == nil)
        #expect(IPAddress("") == nil)
        #expect(IPAddress("10.244.1.5")?.bytes == [10, 244, 1, 5])
        #expect(IPAddress(bytes: [10, 244, 1, 5]) == IPAddress("10.244.1.5"))
    }

    @Test func advancesWithinFamilyOnly() {
        #expect(IPAddress("10.244.1.255")?.advanced(by: 1) == IPAddress("10.244.2.0"))
        #expect(IPAddress("255.255.255.255")?.advanced(by: 1) == nil)
        #expect(IPAddress("fd00::ffff")?.advanced(by: 1) == IPAddress("fd00::1:0"))
    }
}

@Suite struct IPPrefixTests {
    @Test func masksHostBitsAndFindsEnds() throws {
        let p = try #require(IPPrefix("10.244.1.7/24"))
        #expect(p.network.description == "10.244.1.0/24")
        #expect(!p.isNetwork)
        #expect(p.lastAddress.description == "10.244.1.255")
        #expect(p.size == 256)
        #expect(p.contains(IPAddress("10.244.1.200")!))
        #expect(!p.contains(IPAddress("10.244.2.1")!))
        #expect(IPPrefix("10.244.0.0/16")!.contains(p))
        #expect(IPPrefix("fd00:10:244:1::/64")!.lastAddress.description == "fd00:10:244:1:ffff:ffff:ffff:ffff")
        #expect(IPPrefix("10.0.0.0/33") == nil)
        #expect(IPPrefix("10.0.0.0/") == nil)
        #expect(IPPrefix("10.0.0.1")?.length == 32)
        #expect(IPPrefix("0.0.0.0/0")!.contains(IPAddress("1.2.3.4")!))
    }
}
