/// DNS settings, as in a configuration's `dns` key and a result's `dns`. Empty lists and a
/// `nil` domain are omitted when written, and missing ones read as empty.
public struct CNIDNS: Hashable, Sendable, Codable {
    public var nameservers: [String]
    public var domain: String?
    public var search: [String]
    public var options: [String]

    public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [],
                options: [String] = []) {
        (self.nameservers, self.domain, self.search, self.options) = (nameservers, domain, search, options)
    }

    /// True when nothing is set; an empty `dns` is left out of results.
    public var isEmpty: Bool { self == CNIDNS() }

    private enum CodingKeys: String, CodingKey { case nameservers, domain, search, options }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nameservers = try container.decodeIfPresent([String].self, forKey: .nameservers) ?? []
        domain = try container.decodeIfPresent(String.self, forKey: .domain)
        search = try container.decodeIfPresent([String].self, forKey: .search) ?? []
        options = try container.decodeIfPresent([String].self, forKey: .options) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !nameservers.isEmpty { try container.encode(nameservers, forKey: .nameservers) }
        try container.encodeIfPresent(domain, forKey: .domain)
        if !search.isEmpty { try container.encode(search, forKey: .search) }
        if !options.isEmpty { try container.encode(options, forKey: .options) }
    }
}
