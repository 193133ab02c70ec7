/// One YAML node of the subset `YAMLReader` reads: a scalar, a sequence or a mapping. Mappings
/// keep their entries in document order and have string keys only.
public indirect enum YAMLNode: Equatable, Sendable {
    /// A scalar's text, after unquoting and escapes, and whether it was quoted (`"..."`, `'...'`)
    /// or a block scalar (`|`, `>`): only a plain scalar can be read as null, a bool or a number.
    case scalar(String, plain: Bool)
    case sequence([YAMLNode])
    case mapping([YAMLEntry])

    /// The value under `key` of a mapping; nil for a missing key or a node that is no mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

/// One `key: value` of a mapping.
public struct YAMLEntry: Equatable, Sendable {
    public var key: String
    public var value: YAMLNode

    /// An entry `key: value`.
    public init(key: String, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// Why a text is not YAML of the subset `YAMLReader` reads: the 1-based line and what is wrong
/// there (including constructs outside the subset, named as such).
public struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String

    /// An error at `line` (1-based).
    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}
