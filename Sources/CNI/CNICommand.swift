/// The operation a runtime asks for, from `CNI_COMMAND`.
public enum CNICommand: String, CaseIterable, Sendable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case version = "VERSION"
    case gc = "GC"
    case status = "STATUS"

    /// Environment variables the spec requires for this verb besides `CNI_COMMAND`: ADD and
    /// CHECK need the container, its netns and the interface; DEL the container and interface
    /// (the netns may be gone already); VERSION, GC and STATUS none. (The spec also lists
    /// `CNI_PATH` for GC; Trellis delegates to no plugin, so it does not insist on it.)
    public var requiredVariables: [String] {
        switch self {
        case .add, .check: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"]
        case .del: ["CNI_CONTAINERID", "CNI_IFNAME"]
        case .version, .gc, .status: []
        }
    }

    /// Whether the verb acts on one attachment (and so reads container, interface and args).
    var isPerAttachment: Bool {
        switch self {
        case .add, .check, .del: true
        case .version, .gc, .status: false
        }
    }

    /// The oldest configuration version that defines the verb: CHECK came with 0.4.0, GC and
    /// STATUS with 1.1.0.
    var minimumVersion: CNIVersion {
        switch self {
        case .add, .del, .version: .v0_3_0
        case .check: .v0_4_0
        case .gc, .status: .v1_1_0
        }
    }
}
