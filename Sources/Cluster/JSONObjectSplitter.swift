/// Cuts a byte stream of concatenated JSON objects (the watch stream of etcd's gateway: one
/// object per result, whitespace between) into whole objects, however the stream was chunked.
///
/// Why not split on newlines: the gateway happens to end each object with one, but an object may
/// arrive in several chunks and a chunk may hold several objects; counting braces outside of
/// strings finds the end of each object whatever the delimiter.
struct JSONObjectSplitter {
    /// Bytes received but not yet returned as an object.
    private var pending: [UInt8] = []
    /// Where scanning resumes in `pending`, and the scanner's state there.
    private var scanned = 0
    private var depth = 0
    private var inString = false
    private var escaped = false

    /// Bytes of an unfinished object still held (for a size limit).
    var pendingCount: Int { pending.count }

    /// Adds a chunk and returns the objects it completes, in order.
    mutating func append(_ chunk: some Sequence<UInt8>) -> [[UInt8]] {
        pending.append(contentsOf: chunk)
        var objects: [[UInt8]] = []
        var start = 0
        var index = scanned
        while index < pending.count {
            let byte = pending[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") {
                if depth == 0 { start = index }
                depth += 1
            } else if byte == UInt8(ascii: "}") && depth > 0 {
                depth -= 1
                if depth == 0 { objects.append(Array(pending[start...index])) }
            } else if depth == 0 {
                start = index + 1  // whitespace or stray bytes between objects
            }
            index += 1
        }
        if depth == 0 {
            pending.removeAll(keepingCapacity: true)
            scanned = 0
        } else {
            pending.removeFirst(start)
            scanned = pending.count
        }
        return objects
    }
}
