import GatehouseModel

/// One page of a collection: items ordered by name, and the cursor of the next page (nil on
/// the last one).
public struct Page<R: Resource>: Decodable, Sendable {
    public var items: [R]
    public var nextCursor: String?

    public init(items: [R], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// The outcome of a PUT: the stored resource, and whether the PUT created it (201) rather than
/// replacing it (200).
public struct PutResult<R: Resource>: Sendable {
    public var resource: R
    public var created: Bool

    public init(resource: R, created: Bool) {
        self.resource = resource
        self.created = created
    }
}
