/// Reads the YAML that Kubernetes tools write and people hand-edit for them: kubeconfigs as
/// kubeadm and kubectl write them, and manifests like `deploy/trellis.yaml`. The subset:
/// block mappings and sequences (a sequence may sit at its key's indentation, as kubectl writes
/// it), flow collections `{}` and `[]` (also across lines), plain, single- and double-quoted
/// scalars, literal and folded block scalars (`|`, `>`, with `-` or `+`), comments, and several
/// documents split by `---`. Anything else (anchors and aliases, tags, directives, complex `?`
/// keys, multi-line plain or quoted scalars, tabs in indentation, duplicate keys) is an error
/// naming the line and the construct, never a silent misreading.
public enum YAMLReader {
    /// Every non-empty document of `text`, in order. Throws `YAMLError` at the first line that
    /// is not in the subset.
    public static func documents(_ text: String) throws(YAMLError) -> [YAMLNode] {
        var documents: [YAMLNode] = []
        var lines: [SourceLine] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = SourceLine(number: index + 1, raw: raw.hasSuffix("\r") ? raw.dropLast() : raw)
            if line.raw.hasPrefix("%") { throw YAMLError(line: line.number, "directives (%...) are not supported") }
            if line.isDocumentMarker(prefix: "---") || line.isDocumentMarker(prefix: "...") {
                if let document = try rootNode(of: lines) { documents.append(document) }
                lines = []
                if line.raw.hasPrefix("---"), line.raw.dropFirst(3).contains(where: { $0 != " " }),
                   !line.raw.dropFirst(3).trimmingSpaces().hasPrefix("#") {
                    throw YAMLError(line: line.number, "content after --- is not supported")
                }
            } else {
                lines.append(line)
            }
        }
        if let document = try rootNode(of: lines) { documents.append(document) }
        return documents
    }

    private static func rootNode(of lines: [SourceLine]) throws(YAMLError) -> YAMLNode? {
        var parser = BlockParser(lines: lines)
        return try parser.document()
    }

    /// The one document of `text`; an empty text is an empty mapping. Throws `YAMLError` for a
    /// text outside the subset or holding more than one document.
    public static func document(_ text: String) throws(YAMLError) -> YAMLNode {
        let all = try documents(text)
        guard all.count <= 1 else { throw YAMLError(line: 1, "expected one document, found \(all.count)") }
        return all.first ?? .mapping([])
    }
}

/// One line of the text: its number, the raw text, and (for content lines) the indentation and
/// the text after it with any comment and trailing spaces removed.
struct SourceLine {
    let number: Int
    let raw: Substring
    var indent: Int
    var content: Substring

    init(number: Int, raw: Substring) {
        self.number = number
        self.raw = raw
        let body = raw.drop { $0 == " " }
        indent = raw.count - body.count
        content = Self.removingComment(body)
        tabIndented = body.first == "\t" && !content.isEmpty
    }

    /// Whether a tab follows the leading spaces of a content line (YAML forbids tabs there).
    let tabIndented: Bool

    var isBlank: Bool { content.isEmpty }

    func isDocumentMarker(prefix: String) -> Bool {
        raw.hasPrefix(prefix) && (raw.count == prefix.count || raw.dropFirst(prefix.count).first == " ")
    }

    /// The text before a `#` that starts a comment (at the start or after a space, outside quotes).
    private static func removingComment(_ text: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "#" && (previous == " " || previous == "\t") {
                return text[..<index].trimmingSpaces()
            } else if (character == "\"" || character == "'") && (previous == " " || previous == "[" || previous == "{"
                                                                   || previous == "," || index == text.startIndex) {
                quote = character
            }
            previous = character
        }
        return text.trimmingSpaces()
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
