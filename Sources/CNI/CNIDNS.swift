/// DNS settings, as in a configuration's `dns` key and a result's `dns`. Empty lists and a
/// `nil` domain are omitted when written, and missing ones read as empty.
public struct CNIDNS: Hashable, Sendable, Codable {
    /// Resolver addresses, in priority order.
    public var nameservers: [String]
    /// The local domain for short names.
    public var domain: String?
    /// Search domains, in priority order.
    public var search: [String]
    /// Resolver options (`ndots:5`).
    public var options: [String]

    /// Nothing set by default.
    public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [],
                options: [String] = []) {
        (self.nameservers, self.domain, self.search, self.options) = (nameservers, domain, search, options)
    }

    /// True when nothing is set; an empty `dns` is left out of results.
    public var isEmpty: Bool { self == CNIDNS() }

    private enum CodingKeys: String, CodingKey { case nameservers, domain, search, options }

    /// Reads any subset of the four keys.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nameservers = try container.decodeIfPresent([String].self, forKey: .nameservers) ?? []
        domain = try container.decodeIfPresent(String.self, forKey: .domain)
        search = try container.decodeIfPresent([String].self, forKey: .search) ?? []
        options = try container.decodeIfPresent([String].self, forKey: .options) ?? []
    }

    /// Writes only what is set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !nameservers.isEmpty { try container.encode(nameservers, forKey: .nameservers) }
        try container.encodeIfPresent(domain, forKey: .domain)
        if !search.isEmpty { try container.encode(search, forKey: .search) }
        if !options.isEmpty { try container.encode(options, forKey: .options) }
    }
}
