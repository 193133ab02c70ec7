import Testing
@testable import CNI

@Suite("CNIArgs")
struct ArgsTests {
    @Test("Kubernetes runtime arguments expose pod namespace, name, UID and IgnoreUnknown")
    func kubernetesArguments() throws {
        let args = try CNIArgs(parsing:
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-5d;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=1b2c")
        #expect(args.podNamespace == "kube-system")
        #expect(args.podName == "coredns-5d")
        #expect(args.podUID == "1b2c")
        #expect(args.podInfraContainerID == "abc")
        #expect(args.ignoreUnknown)
        #expect(args.values.count == 5)
    }

    @Test("empty segments are skipped, a value keeps later '=' and the last duplicate wins")
    func lenientForms() throws {
        let args = try CNIArgs(parsing: ";A=1;;B=x=y;A=2;")
        #expect(args.values == ["A": "2", "B": "x=y"])
        #expect(!args.ignoreUnknown)
        #expect(try CNIArgs(parsing: "").values.isEmpty)
    }

    @Test("a segment without '=' or with an empty key is code 4 naming CNI_ARGS",
          arguments: ["FOO", "A=1;BAR", "=value"])
    func malformedSegment(text: String) {
        let error = #expect(throws: CNIError.self) { try CNIArgs(parsing: text) }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.message == "invalid CNI_ARGS")
    }

    @Test("IgnoreUnknown accepts true in any case")
    func ignoreUnknownTrue() throws {
        #expect(try CNIArgs(parsing: "IgnoreUnknown=TRUE").ignoreUnknown)
        #expect(try !CNIArgs(parsing: "IgnoreUnknown=0").ignoreUnknown)
    }
}
