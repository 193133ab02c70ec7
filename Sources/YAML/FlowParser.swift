/// Reads a flow collection (`{a: b, c: [d, "e"]}`), once `BlockParser` has joined its lines.
struct FlowParser {
    private let characters: [Character]
    private var index = 0
    private let line: Int

    init(_ characters: [Character], line: Int) {
        self.characters = characters
        self.line = line
    }

    /// Whether only spaces are left.
    var atEnd: Bool { characters[index...].allSatisfy { $0 == " " } }

    /// Whether every `{` and `[` of `text` (outside quotes) is closed.
    static func isClosed(_ text: String) -> Bool {
        var depth = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "{" || character == "[" {
                depth += 1
            } else if character == "}" || character == "]" {
                depth -= 1
            }
        }
        return depth <= 0
    }

    /// The value at the current character.
    mutating func value() throws(YAMLError) -> YAMLNode {
        skipSpaces()
        guard index < characters.count else { return .scalar("", plain: true) }
        switch characters[index] {
        case "{": return try mapping()
        case "[": return try sequence()
        case "\"", "'": return .scalar(try quoted(), plain: false)
        case "&", "*", "!": throw YAMLError(line: line, "anchors, aliases and tags are not supported")
        default: return .scalar(plain(), plain: true)
        }
    }

    private mutating func mapping() throws(YAMLError) -> YAMLNode {
        index += 1
        var entries: [YAMLEntry] = []
        while true {
            skipSpaces()
            if try consume("}") { return .mapping(entries) }
            let key = characters[index] == "\"" || characters[index] == "'" ? try quoted() : plain()
            guard !key.isEmpty else { throw YAMLError(line: line, "empty key in a flow mapping") }
            guard !entries.contains(where: { $0.key == key }) else { throw YAMLError(line: line, "duplicate key \"\(key)\"") }
            skipSpaces()
            let value = try consume(":") ? try value() : .scalar("", plain: true)
            entries.append(YAMLEntry(key: key, value: value))
            skipSpaces()
            if try consume("}") { return .mapping(entries) }
            guard try consume(",") else { throw YAMLError(line: line, "expected , or } in a flow mapping") }
        }
    }

    private mutating func sequence() throws(YAMLError) -> YAMLNode {
        index += 1
        var items: [YAMLNode] = []
        while true {
            skipSpaces()
            if try consume("]") { return .sequence(items) }
            items.append(try value())
            skipSpaces()
            if try consume("]") { return .sequence(items) }
            guard try consume(",") else { throw YAMLError(line: line, "expected , or ] in a flow sequence (pairs are not supported)") }
        }
    }

    private mutating func quoted() throws(YAMLError) -> String {
        var scanner = ScalarScanner(characters, line: line, from: index)
        let text = try scanner.quoted()
        index = scanner.index
        return text
    }

    /// A plain scalar: up to `,`, `[`, `]`, `{`, `}`, or a `:` followed by a space, one of those
    /// or the end; trailing spaces dropped.
    private mutating func plain() -> String {
        let start = index
        while index < characters.count {
            let character = characters[index]
            if ",[]{}".contains(character) { break }
            if character == ":" {
                let next = index + 1 < characters.count ? characters[index + 1] : " "
                if next == " " || ",[]{}".contains(next) { break }
            }
            index += 1
        }
        return String(String(characters[start..<index])[...].trimmingSpaces())
    }

    private mutating func skipSpaces() {
        while index < characters.count && characters[index] == " " { index += 1 }
    }

    /// Moves past `character` when it is the current one. Throws at the end of the text.
    private mutating func consume(_ character: Character) throws(YAMLError) -> Bool {
        guard index < characters.count else { throw YAMLError(line: line, "unclosed flow collection") }
        guard characters[index] == character else { return false }
        index += 1
        return true
    }
}
