import Foundation
import GatehouseModel

/// Where a resource lives: its kind, its org ("" for platform-wide resources such as orgs), its name.
public struct ResourceKey: Hashable, Sendable, CustomStringConvertible {
    public var kind: ResourceKind
    public var org: String
    public var name: String

    public init(kind: ResourceKind, org: String, name: String) {
        self.kind = kind
        self.org = org
        self.name = name
    }

    public static func org(_ name: String) -> ResourceKey { ResourceKey(kind: .org, org: "", name: name) }

    public var description: String { org.isEmpty ? "\(kind.singular) \(name)" : "\(kind.singular) \(org)/\(name)" }
}

/// One stored resource: its JSON body as written by the control plane, plus what the store
/// manages itself.
public struct StoredDocument: Sendable, Equatable {
    public var key: ResourceKey
    /// The store-wide revision of the write that produced this version.
    public var revision: Int64
    public var createdAt: Date
    public var updatedAt: Date
    /// The resource's JSON (server-managed fields stripped).
    public var body: Data
    /// Encrypted material that belongs to the resource (secret values), never part of `body`.
    public var sealed: Data?

    public init(key: ResourceKey, revision: Int64, createdAt: Date, updatedAt: Date, body: Data, sealed: Data?) {
        self.key = key
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.body = body
        self.sealed = sealed
    }
}

/// What may be read inside a transaction. Reads inside `Store.write` see the transaction's writes.
public protocol StoreReader {
    func document(_ key: ResourceKey) throws -> StoredDocument?
    /// Documents of one kind ordered by (org, name); `org == nil` means every org.
    /// `after` is an exclusive name cursor within the org (or "org/name" when org is nil).
    func documents(kind: ResourceKind, org: String?, after: String?, limit: Int?) throws -> [StoredDocument]
    /// The number of documents of a kind in an org.
    func count(kind: ResourceKind, org: String) throws -> Int
    /// The revision of every document of a kind, without bodies: how a follower of the store
    /// (the snapshot builder) finds what changed, including deletions, without decoding it all.
    func versions(kind: ResourceKind) throws -> [ResourceKey: Int64]
    /// The revision of the last committed write (0 for an empty store).
    func revision() throws -> Int64
    /// A platform setting (for example the admin token's hash).
    func setting(_ name: String) throws -> Data?
}

public protocol StoreWriter: StoreReader {
    /// Creates or replaces a document, giving it the next revision. `createdAt` is kept on replace.
    @discardableResult
    func put(_ key: ResourceKey, body: Data, sealed: Data?) throws -> StoredDocument
    /// Removes a document; returns what was removed.
    @discardableResult
    func delete(_ key: ResourceKey) throws -> StoredDocument?
    func setSetting(_ name: String, _ value: Data) throws
}

/// The persistent state of Gatehouse. Every write runs in one serialized transaction and is
/// durable when `write` returns; subscribers of `revisions()` are told of each commit.
///
/// The closures are synchronous on purpose: a transaction must not suspend while it holds the
/// database. A store backed by an asynchronous driver runs the closure on a thread of its own.
public protocol Store: Sendable {
    func read<T: Sendable>(_ body: @Sendable (any StoreReader) throws -> T) async throws -> T
    @discardableResult
    func write<T: Sendable>(_ body: @Sendable (any StoreWriter) throws -> T) async throws -> T
    /// A stream of committed revisions, starting with the current one.
    func revisions() -> AsyncStream<Int64>
}
