/// A Kubernetes label selector (`metav1.LabelSelector`) as a value: every `matchLabels` pair and
/// every `matchExpressions` requirement must hold (AND). The empty selector matches everything.
public struct LabelSelector: Hashable, Sendable {
    /// Labels that must be present with exactly these values.
    public var matchLabels: [String: String]
    /// Requirements that must all hold.
    public var matchExpressions: [LabelRequirement]

    /// Memberwise initialiser; the defaults make the empty selector, which matches everything.
    public init(matchLabels: [String: String] = [:], matchExpressions: [LabelRequirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The selector that matches every object (`{}`).
    public static let everything = LabelSelector()

    /// True when `labels` satisfy every pair and requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }
}

/// One `matchExpressions` entry: a key and an operator with its values.
public struct LabelRequirement: Hashable, Sendable {
    /// The operator and, for `In`/`NotIn`, its values.
    public enum Operator: Hashable, Sendable {
        /// The label is present and its value is one of these.
        case `in`(Set<String>)
        /// The label is absent, or present with a value not among these.
        case notIn(Set<String>)
        /// The label is present, with any value.
        case exists
        /// The label is absent.
        case doesNotExist
    }

    /// The label key.
    public var key: String
    /// What must hold for the key.
    public var `operator`: Operator

    /// Memberwise initialiser.
    public init(key: String, operator: Operator) {
        self.key = key
        self.operator = `operator`
    }

    /// True when `labels` satisfy the requirement, with the API's meaning of each operator.
    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch `operator` {
        case .in(let values): return value.map(values.contains) ?? false
        case .notIn(let values): return value.map { !values.contains($0) } ?? true
        case .exists: return value != nil
        case .doesNotExist: return value == nil
        }
    }
}
