import FoundationEssentials
import Glibc

/// The module's JSON settings in one place: output is compact with sorted keys and unescaped
/// slashes, so the same value always renders to the same bytes (golden tests depend on it).
enum JSONCoding {
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            // Only strings, integers, booleans and finite doubles reach here: cannot fail.
            preconditionFailure("JSON encoding of \(type(of: value)) failed: \(error)")
        }
    }

    /// Decodes `T`, mapping every decoder error to `.decodingFailure` (6) naming `what`.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data,
                                     what: String) throws(CNIError) -> T {
        guard !data.isEmpty else {
            throw CNIError(.decodingFailure, "cannot decode \(what)", details: "the input is empty")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw CNIError(.decodingFailure, "cannot decode \(what)", details: describe(error))
        } catch {
            throw CNIError(.decodingFailure, "cannot decode \(what)", details: "\(error)")
        }
    }

    /// `path: reason` for a decoding error, without Swift's type dump.
    private static func describe(_ error: DecodingError) -> String {
        let (path, reason): ([any CodingKey], String)
        switch error {
        case .keyNotFound(let key, let context):
            (path, reason) = (context.codingPath + [key], "required key missing")
        case .typeMismatch(let type, let context):
            (path, reason) = (context.codingPath, "expected \(type)")
        case .valueNotFound(let type, let context):
            (path, reason) = (context.codingPath, "expected \(type), found null")
        case .dataCorrupted(let context):
            (path, reason) = (context.codingPath, context.debugDescription)
        @unknown default:
            return "\(error)"
        }
        let location = path.map { $0.intValue.map(String.init) ?? $0.stringValue }
            .joined(separator: ".")
        return location.isEmpty ? reason : "\(location): \(reason)"
    }
}
