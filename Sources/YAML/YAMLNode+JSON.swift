import FoundationEssentials

extension YAMLNode {
    /// This node as JSON text, as Kubernetes turns YAML into JSON before decoding it: plain
    /// scalars resolve by YAML 1.2's core schema (`null`, `~` and nothing are null; `true` and
    /// `false` in any of their three spellings are bools; decimal, `0o` and `0x` integers and
    /// decimal floats are numbers; anything else, `.inf` and `.nan` included, is a string);
    /// quoted and block scalars are always strings.
    public var json: String {
        var text = ""
        write(to: &text)
        return text
    }

    private func write(to text: inout String) {
        switch self {
        case .scalar(let value, let plain):
            text += plain ? Self.resolvedPlain(value) : Self.quotedJSON(value)
        case .sequence(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += "," }
                item.write(to: &text)
            }
            text += "]"
        case .mapping(let entries):
            text += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { text += "," }
                text += Self.quotedJSON(entry.key) + ":"
                entry.value.write(to: &text)
            }
            text += "}"
        }
    }

    private static func resolvedPlain(_ value: String) -> String {
        switch value {
        case "", "~", "null", "Null", "NULL": return "null"
        case "true", "True", "TRUE": return "true"
        case "false", "False", "FALSE": return "false"
        default: break
        }
        if value.hasPrefix("0o"), let number = Int(value.dropFirst(2), radix: 8) { return "\(number)" }
        if value.hasPrefix("0x"), let number = Int(value.dropFirst(2), radix: 16) { return "\(number)" }
        let unsigned = value.hasPrefix("-") || value.hasPrefix("+") ? value.dropFirst() : value[...]
        if !unsigned.isEmpty, unsigned.allSatisfy(\.isASCII), unsigned.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }),
           unsigned.first!.isNumber || unsigned.first == "." {
            if let integer = Int(value.hasPrefix("+") ? String(value.dropFirst()) : value) { return "\(integer)" }
            if let double = Double(value), double.isFinite { return "\(double)" }
        }
        return quotedJSON(value)
    }

    private static func quotedJSON(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}

extension YAMLReader {
    /// Decodes `T` from the one document of `text` through its JSON form (`YAMLNode.json`), so
    /// `T`'s `Decodable` conformance sees what it would see in the JSON Kubernetes serves.
    /// Throws `YAMLError` for text outside the subset, `DecodingError` for a shape `T` refuses.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(try document(text).json.utf8))
    }
}
