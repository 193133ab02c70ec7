import Testing
@testable import CNI

@Suite("Container ID and interface name validation")
struct NameValidationTests {
    @Test("hostile or malformed container IDs are code 4 naming CNI_CONTAINERID",
          arguments: ["../../etc", "..", ".hidden", "a/b", "abc/../../x", "-rf", "_x", "a b",
                      "a\nb", "a\0b", "a;b", "naïve", String(repeating: "a", count: 201)])
    func hostileContainerID(id: String) {
        #expect(ContainerID(id) == nil)
        let error = #expect(throws: CNIError.self) {
            try CNIEnvironment(Fixture.environment("ADD", ["CNI_CONTAINERID": id]))
        }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.message == "invalid CNI_CONTAINERID")
        #expect(error?.details != nil)
    }

    @Test("container IDs runtimes produce are accepted",
          arguments: [Fixture.containerID, "a", "9", "pod_1.infra-2", String(repeating: "f", count: 200)])
    func validContainerID(id: String) {
        #expect(ContainerID(id)?.rawValue == id)
    }

    @Test("hostile or malformed interface names are code 4 naming CNI_IFNAME",
          arguments: [".", "..", "eth/0", "../eth0", "eth:0", "eth 0", "eth\t0", "eth\0",
                      "sixteen-chars-xx", "ééééééééé"])
    func hostileInterfaceName(name: String) {
        #expect(InterfaceName(name) == nil)
        let error = #expect(throws: CNIError.self) {
            try CNIEnvironment(Fixture.environment("ADD", ["CNI_IFNAME": name]))
        }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.message == "invalid CNI_IFNAME")
    }

    @Test("interface names the kernel accepts are accepted",
          arguments: ["eth0", "e", "net1", "fifteen-chars-x", "eth0.100", "..."])
    func validInterfaceName(name: String) {
        #expect(InterfaceName(name)?.rawValue == name)
    }

    @Test("problem(with:) explains each rejection")
    func problemsAreSpecific() {
        #expect(ContainerID.problem(with: "") == "container ID is empty")
        #expect(ContainerID.problem(with: "../../etc") == "container ID must start with a letter or digit")
        #expect(ContainerID.problem(with: "a/b") == "container ID may contain only letters, digits, '_', '.' and '-'")
        #expect(InterfaceName.problem(with: "sixteen-chars-xx") == "interface name is longer than 15 bytes")
        #expect(InterfaceName.problem(with: "a:b") == "interface name contains forbidden character U+3A")
    }
}
