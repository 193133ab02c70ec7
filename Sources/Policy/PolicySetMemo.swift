/// The named sets of the last compile with the elements they were built from, kept by the
/// caller from one compile to the next. A set whose source elements are the same as last time
/// is handed back as the same value: nothing is hashed into a new set, and comparing it with
/// the set the kernel holds is immediate (equal storage), so an event that changes a few sets
/// costs those sets, not the hundred thousand elements of the others. Only speed depends on the
/// memo: a compile with any memo gives the ruleset a compile without one gives.
public struct PolicySetMemo: Sendable {
    /// One set and its elements in the order the compiler produced them.
    struct Entry: Sendable {
        let sources: [PolicySet.Element]
        let set: PolicySet
    }

    var entries: [String: Entry] = [:]

    /// An empty memo (the first compile builds every set).
    public init() {}
}

/// The sets of one compile as the rule compiler defines them, reusing the memo's.
struct PolicySetBuilder {
    private let previous: [String: PolicySetMemo.Entry]
    private(set) var memo = PolicySetMemo()

    init(reusing memo: PolicySetMemo) {
        previous = memo.entries
    }

    /// The sets defined so far.
    var sets: [String: PolicySet] { memo.entries.mapValues(\.set) }

    /// True when `name` has been defined in this compile.
    func defines(_ name: String) -> Bool {
        memo.entries[name] != nil
    }

    /// Defines set `name` with `elements` (duplicates allowed), unless it is defined already.
    mutating func define(_ name: String, kind: PolicySet.Kind, elements: [PolicySet.Element]) {
        guard memo.entries[name] == nil else { return }
        if let known = previous[name], known.set.kind == kind, known.sources == elements {
            memo.entries[name] = known
        } else {
            memo.entries[name] = PolicySetMemo.Entry(sources: elements, set: PolicySet(kind: kind, elements: Set(elements)))
        }
    }
}
