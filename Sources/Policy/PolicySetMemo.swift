import NetworkModel

/// The named sets of the last compile with what they were built from, kept by the caller from
/// one compile to the next. A set whose sources are the same as last time is handed back as
/// the same value: nothing is walked or hashed into a new set, and comparing it with the set
/// the kernel holds is immediate (equal storage), so an event that changes a few sets costs
/// those sets, not the hundred thousand elements of the others. Only speed depends on the
/// memo: a compile with any memo gives the ruleset a compile without one gives.
public struct PolicySetMemo: Sendable {
    /// What a set was built from.
    enum Source: Equatable, Sendable {
        /// The addresses of these groups of pods, each unchanged since the compile before.
        case groups([PolicyCluster.GroupKey])
        /// These elements, in the order the compiler produced them.
        case elements([PolicySet.Element])
    }

    /// One set and its source.
    struct Entry: Sendable {
        let source: Source
        let set: PolicySet
    }

    var entries: [String: Entry] = [:]
    /// The addresses of every group of pods at the last compile.
    var groupAddresses: [PolicyCluster.GroupKey: [IPAddress]] = [:]

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
        define(name, kind: kind, source: .elements(elements), reusable: true) { elements }
    }

    /// Defines set `name` as the `family` addresses of `groups`, unless it is defined already.
    /// Nothing is walked when the same groups made it last time and none of them changed since.
    mutating func define(_ name: String, family: IPFamily, groups: [PolicyCluster.Group]) {
        define(name, kind: .addresses(family), source: .groups(groups.map(\.key)), reusable: groups.allSatisfy(\.isUnchanged)) {
            groups.flatMap(\.addresses).filter { $0.family == family }.map(PolicySet.Element.address)
        }
    }

    private mutating func define(_ name: String, kind: PolicySet.Kind, source: PolicySetMemo.Source, reusable: Bool,
                                 elements: () -> [PolicySet.Element]) {
        guard memo.entries[name] == nil else { return }
        if reusable, let known = previous[name], known.set.kind == kind, known.source == source {
            memo.entries[name] = known
        } else {
            memo.entries[name] = PolicySetMemo.Entry(source: source, set: PolicySet(kind: kind, elements: Set(elements())))
        }
    }
}
