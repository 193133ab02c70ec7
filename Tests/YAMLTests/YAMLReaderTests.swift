import Testing
import YAML

private func scalar(_ text: String) -> YAMLNode { .scalar(text, plain: true) }
private func quoted(_ text: String) -> YAMLNode { .scalar(text, plain: false) }
private func map(_ entries: (String, YAMLNode)...) -> YAMLNode {
    .mapping(entries.map { YAMLEntry(key: $0.0, value: $0.1) })
}

@Suite("YAML subset: what kubeconfigs and manifests use")
struct YAMLReaderTests {
    @Test("kubectl's block style: a sequence at its key's indentation, compact mappings in items")
    func kubectlBlockStyle() throws {
        let text = """
            clusters:
            - cluster:
                server: https://192.0.2.10:6443
              name: kubernetes
            - name: other
            preferences: {}
            """
        #expect(try YAMLReader.document(text) == map(
            ("clusters", .sequence([
                map(("cluster", map(("server", scalar("https://192.0.2.10:6443")))), ("name", scalar("kubernetes"))),
                map(("name", scalar("other"))),
            ])),
            ("preferences", .mapping([]))))
    }

    @Test("indented sequences, nested sequences, empty values and comments")
    func indentedAndNested() throws {
        let text = """
            # a comment line
            spec:
              args:   # trailing comment
                - run
                - --mode=vxlan#not-a-comment
              matrix:
                - - a
                  - b
                -
                  c
              empty:
              hash: "a # b"
            """
        #expect(try YAMLReader.document(text) == map(("spec", map(
            ("args", .sequence([scalar("run"), scalar("--mode=vxlan#not-a-comment")])),
            ("matrix", .sequence([.sequence([scalar("a"), scalar("b")]), scalar("c")])),
            ("empty", scalar("")),
            ("hash", quoted("a # b"))))))
    }

    @Test("flow collections, nested and across lines, with quoted and URL-like plain scalars")
    func flowCollections() throws {
        let text = """
            volume: { name: cni-bin, hostPath: { path: /opt/cni/bin, type: DirectoryOrCreate } }
            caps: ["NET_ADMIN", 'NET_RAW', ]
            probe: {httpGet: {host: 127.0.0.1, port: 9469, url: http://a:1/b}}
            long: [
              one,   # a comment inside
              two
            ]
            bare: {a, b: }
            """
        let node = try YAMLReader.document(text)
        #expect(node["volume"] == map(("name", scalar("cni-bin")),
                                      ("hostPath", map(("path", scalar("/opt/cni/bin")), ("type", scalar("DirectoryOrCreate"))))))
        #expect(node["caps"] == .sequence([quoted("NET_ADMIN"), quoted("NET_RAW")]))
        #expect(node["probe"]?["httpGet"]?["url"] == scalar("http://a:1/b"))
        #expect(node["long"] == .sequence([scalar("one"), scalar("two")]))
        #expect(node["bare"] == map(("a", scalar("")), ("b", scalar(""))))
    }

    @Test("quoted scalars: escapes in double quotes, doubled quotes in single quotes, quoted keys")
    func quotedScalars() throws {
        let text = #"""
            "quoted key": 'it''s'
            escapes: "tab\there \"q\" \\ \u00e9 \x41"
            colon: "a: b"
            """#
        let node = try YAMLReader.document(text)
        #expect(node["quoted key"] == quoted("it's"))
        #expect(node["escapes"] == quoted("tab\there \"q\" \\ é A"))
        #expect(node["colon"] == quoted("a: b"))
    }

    @Test("block scalars: literal and folded, with every chomping")
    func blockScalars() throws {
        let text = """
            literal: |
              line one
                indented
              # not a comment

            strip: |-
              no newline
            keep: |+
              kept

            folded: >
              folded
              text

              new paragraph
            after: x
            """
        let node = try YAMLReader.document(text)
        #expect(node["literal"] == quoted("line one\n  indented\n# not a comment\n"))
        #expect(node["strip"] == quoted("no newline"))
        #expect(node["keep"] == quoted("kept\n\n"))
        #expect(node["folded"] == quoted("folded text\nnew paragraph\n"))
        #expect(node["after"] == scalar("x"))
    }

    @Test("documents split by ---; empty ones (comments only) are left out")
    func documents() throws {
        let text = """
            # header comment
            a: 1
            ---
            # only a comment
            ---
            - b
            ...
            """
        #expect(try YAMLReader.documents(text) == [map(("a", scalar("1"))), .sequence([scalar("b")])])
    }

    @Test("plain scalars resolve as Kubernetes' YAML-to-JSON does; quoted ones stay strings")
    func json() throws {
        let text = """
            n: ~
            t: true
            f: False
            i: 9469
            neg: -3
            hex: 0x1F
            float: 0.5
            s: "true"
            v: 1.2.3
            inf: .inf
            text: "line\\n\\"x\\""
            """
        #expect(try YAMLReader.document(text).json ==
            #"{"n":null,"t":true,"f":false,"i":9469,"neg":-3,"hex":31,"float":0.5,"s":"true","v":"1.2.3","inf":".inf","text":"line\n\"x\""}"#)
    }

    @Test("decode: a Decodable type sees the JSON Kubernetes would serve")
    func decode() throws {
        struct Probe: Decodable, Equatable {
            struct HTTPGet: Decodable, Equatable { var path: String; var port: Int }
            var httpGet: HTTPGet
            var periodSeconds: Int
        }
        let probe = try YAMLReader.decode(Probe.self, from: "httpGet: { path: /healthz, port: 9469 }\nperiodSeconds: 10\n")
        #expect(probe == Probe(httpGet: .init(path: "/healthz", port: 9469), periodSeconds: 10))
    }

    @Test("outside the subset: one error naming the line and the construct, never a misreading",
          arguments: [
              ("a: 1\n\tb: 2", 2, "tabs are not allowed in indentation"),
              ("a: &x 1\nb: *x", 1, "anchors, aliases and tags are not supported"),
              ("a: !!str 1", 1, "anchors, aliases and tags are not supported"),
              ("%YAML 1.2\n---\na: 1", 1, "directives (%...) are not supported"),
              ("? a\n: b", 1, "complex keys (?) are not supported"),
              ("a: 1\na: 2", 2, "duplicate key \"a\""),
              ("a: \"open\n  close\"", 1, "quoted scalar not closed on its line (multi-line quoted scalars are not supported)"),
              ("a: plain\n  continued", 2, "unexpected indentation (multi-line plain scalars are not supported; is an entry misaligned?)"),
              ("a: b: c", 1, "a mapping cannot start on this line (quote the value if it holds \": \")"),
              ("a: [1, 2", 1, "unclosed [ flow collection"),
              ("a:\n  b: 1\n c: 2", 3, "unexpected indentation (multi-line plain scalars are not supported; is an entry misaligned?)"),
              ("- a\nb: c", 2, "unexpected content (check the indentation)"),
              ("a: \"\\q\"", 1, "unknown escape \\q"),
          ])
    func rejects(text: String, line: Int, message: String) {
        #expect(throws: YAMLError(line: line, message)) { try YAMLReader.documents(text) }
    }
}
