/// Reads quoted scalars from a line's characters: `'...'` (a doubled `''` is one quote) and
/// `"..."` with YAML's escapes. A quote not closed on its line is an error: multi-line quoted
/// scalars are outside the subset.
struct ScalarScanner {
    private let characters: [Character]
    private(set) var index = 0
    private let line: Int

    init(_ characters: [Character], line: Int, from index: Int = 0) {
        self.characters = characters
        self.line = line
        self.index = index
    }

    /// What follows the scalar read last.
    var remainder: ArraySlice<Character> { characters[index...] }

    /// The quoted scalar starting at the current character, unquoted; the scanner moves past it.
    mutating func quoted() throws(YAMLError) -> String {
        let quote = characters[index]
        index += 1
        var text = ""
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == quote {
                if quote == "'", index < characters.count, characters[index] == "'" {
                    text.append("'")
                    index += 1
                    continue
                }
                return text
            }
            if quote == "\"", character == "\\" {
                text.append(try escape())
            } else {
                text.append(character)
            }
        }
        throw YAMLError(line: line, "quoted scalar not closed on its line (multi-line quoted scalars are not supported)")
    }

    private mutating func escape() throws(YAMLError) -> Character {
        guard index < characters.count else { throw YAMLError(line: line, "a line cannot end in \\ here") }
        let code = characters[index]
        index += 1
        switch code {
        case "0": return "\0"
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "t", "\t": return "\t"
        case "n": return "\n"
        case "v": return "\u{0B}"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case " ", "\"", "/", "\\": return code
        case "N": return "\u{85}"
        case "_": return "\u{A0}"
        case "L": return "\u{2028}"
        case "P": return "\u{2029}"
        case "x": return try hexadecimal(digits: 2)
        case "u": return try hexadecimal(digits: 4)
        case "U": return try hexadecimal(digits: 8)
        default: throw YAMLError(line: line, "unknown escape \\\(code)")
        }
    }

    private mutating func hexadecimal(digits: Int) throws(YAMLError) -> Character {
        guard index + digits <= characters.count,
              let value = UInt32(String(characters[index..<index + digits]), radix: 16),
              let scalar = Unicode.Scalar(value) else {
            throw YAMLError(line: line, "bad \(digits)-digit escape")
        }
        index += digits
        return Character(scalar)
    }
}
