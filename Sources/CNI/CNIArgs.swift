/// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;`, e.g.
/// `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=...`.
/// Empty segments are skipped; a value may itself contain `=` (only the first one splits);
/// a repeated key keeps its last value. Unknown keys are kept, never an error.
public struct CNIArgs: Hashable, Sendable {
    /// Every pair, by key.
    public let values: [String: String]

    /// No arguments.
    public init() { values = [:] }

    /// Parses `text`.
    /// - Throws: `.invalidEnvironment` (4) naming `CNI_ARGS` for a segment without `=` or
    ///   with an empty key.
    public init(parsing text: String) throws(CNIError) {
        var values: [String: String] = [:]
        for segment in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = segment.firstIndex(of: "="), equals != segment.startIndex else {
                throw CNIError(.invalidEnvironment, "invalid CNI_ARGS",
                               details: "expected KEY=VALUE, found \"\(segment)\"")
            }
            values[String(segment[..<equals])] = String(segment[segment.index(after: equals)...])
        }
        self.values = values
    }

    /// The value of `key`, or `nil`.
    public subscript(key: String) -> String? { values[key] }

    /// `K8S_POD_NAMESPACE`, set by Kubernetes runtimes.
    public var podNamespace: String? { values["K8S_POD_NAMESPACE"] }
    /// `K8S_POD_NAME`.
    public var podName: String? { values["K8S_POD_NAME"] }
    /// `K8S_POD_UID`.
    public var podUID: String? { values["K8S_POD_UID"] }
    /// `K8S_POD_INFRA_CONTAINER_ID`.
    public var podInfraContainerID: String? { values["K8S_POD_INFRA_CONTAINER_ID"] }
    /// `IgnoreUnknown` set to `1` or `true` (any case).
    public var ignoreUnknown: Bool {
        guard let value = values["IgnoreUnknown"]?.lowercased() else { return false }
        return value == "1" || value == "true"
    }
}
