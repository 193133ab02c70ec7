import NetworkModel

extension IPPrefix {
    /// The prefixes covering exactly the addresses of this prefix's network that lie in none of
    /// `holes` (an ipBlock's `cidr` minus its `except`). Holes of the other family or outside
    /// the prefix change nothing; a hole covering it all leaves nothing.
    func excluding(_ holes: [IPPrefix]) -> [IPPrefix] {
        let whole = network
        let inside = holes.map(\.network).filter { $0.family == family && $0.overlaps(whole) }
        if inside.isEmpty { return [whole] }
        if inside.contains(where: { $0.contains(whole) }) { return [] }
        // Some hole lies strictly inside: split in halves (a host prefix is always covered above).
        let half = length + 1
        let upperBit = UInt128(1) << UInt128(family.bitWidth - half)
        let lower = IPPrefix(address: whole.address, length: half)!
        let upper = IPPrefix(address: IPAddress(family: family, value: whole.address.value | upperBit), length: half)!
        return lower.excluding(inside) + upper.excluding(inside)
    }
}
