/// The block structure of one document: which lines form a mapping or a sequence is decided by
/// indentation; a value on a key's or item's own line is read by `inlineValue`.
struct BlockParser {
    private var lines: [SourceLine]
    private var position = 0

    init(lines: [SourceLine]) {
        self.lines = lines
    }

    /// The document's root node, nil when it holds only blank lines and comments.
    mutating func document() throws(YAMLError) -> YAMLNode? {
        guard let first = try peek() else { return nil }
        let root = try node(indent: first.indent)
        if let extra = try peek() { throw YAMLError(line: extra.number, "unexpected content (check the indentation)") }
        return root
    }

    /// The next content line (blank and comment lines skipped), without consuming it.
    private mutating func peek() throws(YAMLError) -> SourceLine? {
        while position < lines.count && lines[position].isBlank { position += 1 }
        guard position < lines.count else { return nil }
        let line = lines[position]
        if line.tabIndented { throw YAMLError(line: line.number, "tabs are not allowed in indentation") }
        return line
    }

    private static func isSequenceItem(_ content: Substring) -> Bool {
        content == "-" || content.hasPrefix("- ")
    }

    /// The node starting at the current line, whose indentation is `indent`.
    private mutating func node(indent: Int) throws(YAMLError) -> YAMLNode {
        let line = lines[position]
        if Self.isSequenceItem(line.content) { return try sequence(indent: indent) }
        if try Self.mappingKey(line) != nil { return try mapping(indent: indent) }
        position += 1
        return try inlineValue(line.content, line: line, parentIndent: indent - 1)
    }

    private mutating func sequence(indent: Int) throws(YAMLError) -> YAMLNode {
        var items: [YAMLNode] = []
        while let line = try peek(), line.indent == indent, Self.isSequenceItem(line.content) {
            let rest = line.content.dropFirst().drop { $0 == " " }
            if rest.isEmpty {
                position += 1
                if let next = try peek(), next.indent > indent {
                    items.append(try node(indent: next.indent))
                } else {
                    items.append(.scalar("", plain: true))
                }
            } else {
                // The item's content is read as if it started a line of its own at its column,
                // so `- name: x` followed by `  image: y` is one mapping.
                let column = indent + line.content.count - rest.count
                lines[position].indent = column
                lines[position].content = rest
                items.append(try node(indent: column))
            }
        }
        try expectNoDeeperLine(than: indent)
        return .sequence(items)
    }

    private mutating func mapping(indent: Int) throws(YAMLError) -> YAMLNode {
        var entries: [YAMLEntry] = []
        while let line = try peek(), line.indent == indent, !Self.isSequenceItem(line.content) {
            guard let (key, rest) = try Self.mappingKey(line) else {
                throw YAMLError(line: line.number, "expected `key: value` in a mapping")
            }
            guard !entries.contains(where: { $0.key == key }) else {
                throw YAMLError(line: line.number, "duplicate key \"\(key)\"")
            }
            position += 1
            let value: YAMLNode
            if !rest.isEmpty {
                value = try inlineValue(rest, line: line, parentIndent: indent)
            } else if let next = try peek(), next.indent > indent {
                value = try node(indent: next.indent)
            } else if let next = try peek(), next.indent == indent, Self.isSequenceItem(next.content) {
                value = try sequence(indent: indent)
            } else {
                value = .scalar("", plain: true)
            }
            entries.append(YAMLEntry(key: key, value: value))
        }
        try expectNoDeeperLine(than: indent)
        return .mapping(entries)
    }

    /// A block ends at a line indented less than it; one indented more is an error (a
    /// continuation of a plain scalar, or a misaligned entry).
    private mutating func expectNoDeeperLine(than indent: Int) throws(YAMLError) {
        if let next = try peek(), next.indent > indent {
            throw YAMLError(line: next.number,
                            "unexpected indentation (multi-line plain scalars are not supported; is an entry misaligned?)")
        }
    }

    /// The key of a `key: value` line and the text after the colon, nil when the line is no
    /// mapping entry.
    private static func mappingKey(_ line: SourceLine) throws(YAMLError) -> (String, Substring)? {
        let content = line.content
        switch content.first {
        case "\"", "'":
            var scanner = ScalarScanner(Array(content), line: line.number)
            let key = try scanner.quoted()
            let after = Substring(String(scanner.remainder)).drop { $0 == " " }
            guard after.first == ":", after.count == 1 || after.dropFirst().first == " " else { return nil }
            return (key, after.dropFirst().drop { $0 == " " })
        case "{", "[":
            return nil
        case "?":
            if content.count == 1 || content.dropFirst().first == " " {
                throw YAMLError(line: line.number, "complex keys (?) are not supported")
            }
        case "&", "*", "!":
            throw YAMLError(line: line.number, "anchors, aliases and tags are not supported")
        default:
            break
        }
        var index = content.startIndex
        while let colon = content[index...].firstIndex(of: ":") {
            let next = content.index(after: colon)
            if next == content.endIndex || content[next] == " " {
                let key = content[..<colon].trimmingSpaces()
                guard !key.isEmpty else { throw YAMLError(line: line.number, "empty key") }
                return (String(key), content[next...].drop { $0 == " " })
            }
            index = next
        }
        return nil
    }

    /// The value written on a key's or item's line: a flow collection (which may continue on
    /// the next lines), a quoted or plain scalar, or the header of a block scalar.
    private mutating func inlineValue(_ text: Substring, line: SourceLine, parentIndent: Int) throws(YAMLError) -> YAMLNode {
        switch text.first {
        case "{", "[":
            var source = String(text)
            var lastLine = line.number
            while !FlowParser.isClosed(source) {
                guard position < lines.count else {
                    throw YAMLError(line: line.number, "unclosed \(text.first == "{" ? "{" : "[") flow collection")
                }
                source += " " + lines[position].content
                lastLine = lines[position].number
                position += 1
            }
            var parser = FlowParser(Array(source), line: line.number)
            let node = try parser.value()
            guard parser.atEnd else { throw YAMLError(line: lastLine, "unexpected text after a flow collection") }
            return node
        case "\"", "'":
            var scanner = ScalarScanner(Array(text), line: line.number)
            let value = try scanner.quoted()
            guard scanner.remainder.allSatisfy({ $0 == " " }) else {
                throw YAMLError(line: line.number, "unexpected text after a quoted scalar")
            }
            return .scalar(value, plain: false)
        case "|", ">":
            return .scalar(try blockScalar(header: text, line: line, parentIndent: parentIndent), plain: false)
        case "&", "*", "!":
            throw YAMLError(line: line.number, "anchors, aliases and tags are not supported")
        case "@", "`":
            throw YAMLError(line: line.number, "a plain scalar cannot start with \(text.first!)")
        default:
            if text.contains(": ") || text.hasSuffix(":") {
                throw YAMLError(line: line.number, "a mapping cannot start on this line (quote the value if it holds \": \")")
            }
            return .scalar(String(text), plain: true)
        }
    }

    /// The text of a literal (`|`) or folded (`>`) block scalar whose header is `header`, from
    /// the raw lines indented deeper than `parentIndent`.
    private mutating func blockScalar(header: Substring, line: SourceLine, parentIndent: Int) throws(YAMLError) -> String {
        let literal = header.first == "|"
        var chomping: Character = " "
        var explicitIndent: Int?
        for character in header.dropFirst() {
            if character == "-" || character == "+", chomping == " " {
                chomping = character
            } else if let digit = character.wholeNumberValue, digit > 0, explicitIndent == nil {
                explicitIndent = parentIndent + digit
            } else {
                throw YAMLError(line: line.number, "bad block scalar header \"\(header)\"")
            }
        }
        var body: [Substring] = []
        var indent = explicitIndent
        while position < lines.count {
            let raw = lines[position].raw
            let spaces = raw.prefix { $0 == " " }.count
            if raw.allSatisfy({ $0 == " " }) {
                body.append("")
            } else {
                let required = indent ?? spaces
                guard spaces >= required, required > parentIndent else { break }
                indent = required
                body.append(raw.dropFirst(required))
            }
            position += 1
        }
        let trailingBlank = body.reversed().prefix { $0.isEmpty }.count
        let lines = body.dropLast(trailingBlank)
        var text = literal ? lines.joined(separator: "\n") : Self.folded(Array(lines))
        switch chomping {
        case "-": break
        case "+": text += String(repeating: "\n", count: lines.isEmpty ? trailingBlank : trailingBlank + 1)
        default: if !lines.isEmpty { text += "\n" }
        }
        return text
    }

    /// Folded block lines: the break between two lines of text becomes a space, each empty line
    /// between them a line break; lines indented more than the block keep their breaks.
    private static func folded(_ lines: [Substring]) -> String {
        var text = ""
        var emptyLines = 0
        var started = false
        var previousMoreIndented = false
        for line in lines {
            guard !line.isEmpty else { emptyLines += 1; continue }
            let moreIndented = line.first == " "
            if started {
                let keepsBreak = moreIndented || previousMoreIndented
                text += emptyLines == 0 && !keepsBreak ? " " : String(repeating: "\n", count: emptyLines + (keepsBreak ? 1 : 0))
            } else {
                text += String(repeating: "\n", count: emptyLines)
            }
            text += line
            started = true
            emptyLines = 0
            previousMoreIndented = moreIndented
        }
        return text
    }
}
