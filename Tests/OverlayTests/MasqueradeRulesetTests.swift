import Overlay
import Testing

@Suite("MasqueradeRuleset")
struct MasqueradeRulesetTests {
    @Test("IPv4: pod-to-cluster and multicast return, the rest from the cluster masquerades")
    func ipv4Golden() {
        let text = MasqueradeRuleset.render(clusterCIDRs: [Fixture.prefix("10.244.0.0/16")])
        #expect(text == """
            table inet trellis {
            \tset cluster4 {
            \t\ttype ipv4_addr
            \t\tflags interval
            \t\tauto-merge
            \t\telements = { 10.244.0.0/16 }
            \t}
            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\tip saddr @cluster4 ip daddr @cluster4 return
            \t\tip saddr @cluster4 ip daddr 224.0.0.0/4 return
            \t\tip saddr @cluster4 masquerade fully-random
            \t}
            }

            """)
    }

    @Test("dual stack: a set and three rules per family, IPv6 matched with ip6")
    func dualStack() {
        let text = MasqueradeRuleset.render(clusterCIDRs: [Fixture.prefix("fd00:10:244::/56"), Fixture.prefix("10.244.0.0/16")])
        #expect(text.contains("set cluster6 {\n\t\ttype ipv6_addr"))
        #expect(text.contains("elements = { fd00:10:244::/56 }"))
        #expect(text.contains("ip6 saddr @cluster6 ip6 daddr @cluster6 return"))
        #expect(text.contains("ip6 saddr @cluster6 ip6 daddr ff00::/8 return"))
        #expect(text.contains("ip6 saddr @cluster6 masquerade fully-random"))
        #expect(text.contains("ip saddr @cluster4 masquerade fully-random"))
    }

    @Test("host bits are cleared and duplicates collapse; CIDRs are sorted")
    func normalisedElements() {
        let text = MasqueradeRuleset.render(clusterCIDRs: ["10.245.0.0/16", "10.244.7.9/16", "10.244.0.0/16"].map(Fixture.prefix))
        #expect(text.contains("elements = { 10.244.0.0/16, 10.245.0.0/16 }"))
    }

    @Test("no cluster CIDRs: an empty chain, no sets, nothing masqueraded")
    func empty() {
        let text = MasqueradeRuleset.render(clusterCIDRs: [])
        #expect(!text.contains("set "))
        #expect(!text.contains("masquerade"))
        #expect(text.contains("chain postrouting"))
    }

    @Test("the transaction creates, deletes and redefines the table in one file")
    func transaction() {
        let cidrs = [Fixture.prefix("10.244.0.0/16")]
        let text = MasqueradeRuleset.transaction(clusterCIDRs: cidrs)
        #expect(text == "table inet trellis {}\ndelete table inet trellis\n" + MasqueradeRuleset.render(clusterCIDRs: cidrs))
    }
}
