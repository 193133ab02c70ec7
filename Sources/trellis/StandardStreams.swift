#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// stdin and stdout as raw file descriptors (FileHandle lives in full Foundation, which the
/// plugin does not link), and the environment.
enum StandardStreams {
    /// The process's environment, read from `environ` (`ProcessInfo`'s dictionary costs the
    /// plugin a noticeable share of each invocation). For a repeated name the first one wins.
    static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), variables[String(text[..<equals])] == nil {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }

    /// All of stdin, up to end of file.
    static func readInput() -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            if count > 0 {
                data.append(contentsOf: buffer[..<count])
            } else if count == 0 || errno != EINTR {
                return data
            }
        }
    }

    /// Writes all of `data` to `fd`, retrying short writes and EINTR.
    static func write(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno != EINTR {
                    return
                }
            }
        }
    }
}
