import NetworkModel

/// The seam between the allocator (which address?) and where reservations live (which are
/// taken?). `DiskStore` implements it on files inside its lock; tests use an in-memory fake.
///
/// Every call happens inside one transaction: the implementation guarantees that nobody else
/// changes the store between the calls of one `Allocator.allocate`.
public protocol AllocationStore {
    /// The addresses `attachment` holds already (any family, any slice), in no particular order.
    func addresses(of attachment: AttachmentID) throws -> [IPAddress]

    /// Every address the store holds, by a readable record or not, from the listing the
    /// transaction already read: the allocator picks a free address among the others, so an
    /// address that is taken costs no write.
    func takenAddresses() throws -> Set<IPAddress>

    /// The address most recently reserved in `family`, where round-robin resumes; `nil` if none
    /// (or if the marker is unreadable: it is only a hint).
    func lastReserved(_ family: IPFamily) throws -> IPAddress?

    /// Reserves `record.address` for `record.attachment` and makes it the family's last reserved
    /// address. Returns `false`, changing nothing, when the address is taken after all (also by a
    /// record the store cannot read).
    func reserve(_ record: AllocationRecord) throws -> Bool

    /// Frees `address`; freeing a free address is not an error.
    func release(_ address: IPAddress) throws
}
