import Foundation
import GatehouseModel

/// How typed resources map onto stored documents, for every kind alike.
///
/// A body holds the resource as `normalizedForStorage()` encodes it with `StrictJSON.encoder`;
/// the server-managed fields (`revision`, `createdAt`, `updatedAt`, `org`) come from the
/// document's key and columns when it is decoded, so they can never disagree with the store.
public enum ResourceCoding {
    /// The key of the resource of type `R` named `name`. Org-scoped kinds need an org;
    /// platform-wide kinds (orgs) live under org "".
    public static func key<R: Resource>(_ type: R.Type, org: String, name: String) throws -> ResourceKey {
        let key = ResourceKey(kind: R.kind, org: org, name: name)
        let isOrgScoped = R.self is any OrgScopedResource.Type
        if isOrgScoped && org.isEmpty {
            throw StoreError.invalidKey(key, reason: "a \(R.kind.singular) belongs to an org; the org must not be empty")
        }
        if !isOrgScoped && !org.isEmpty {
            throw StoreError.invalidKey(key, reason: "\(R.kind.rawValue) are platform-wide; the org must be \"\"")
        }
        return key
    }

    /// The body stored for `resource`.
    public static func encode<R: Resource>(_ resource: R, key: ResourceKey) throws -> Data {
        let stored = resource.normalizedForStorage()
        // Write-only values (secret values, client secrets) are sealed in `StoredDocument.sealed`;
        // a body is plain JSON on disk, so refuse rather than quietly store them readable.
        if stored.carriesWriteOnlyValues {
            throw StoreError.plaintextSecret(key)
        }
        do {
            return try StrictJSON.encoder.encode(stored)
        } catch {
            throw StoreError.corruptDocument(key, reason: "cannot be encoded: \(error)")
        }
    }

    /// The resource a document holds, with its server-managed fields filled in from the document.
    public static func decode<R: Resource>(_ document: StoredDocument, as type: R.Type) throws -> R {
        guard document.key.kind == R.kind else {
            throw StoreError.corruptDocument(
                document.key, reason: "it is a \(document.key.kind.singular), not a \(R.kind.singular)")
        }
        var resource: R
        do {
            // The lenient decoder: a body written by a newer version with members this one does
            // not know still reads (StrictJSON.decode is for request bodies).
            resource = try StrictJSON.decoder.decode(R.self, from: document.body)
        } catch {
            throw StoreError.corruptDocument(document.key, reason: "its body does not decode: \(error)")
        }
        resource.name = document.key.name
        resource.revision = document.revision
        resource.createdAt = document.createdAt
        resource.updatedAt = document.updatedAt
        if let scoped = resource as? any OrgScopedResource,
            let withOrg = settingOrg(scoped, document.key.org) as? R
        {
            resource = withOrg
        }
        return resource
    }

    private static func settingOrg<S: OrgScopedResource>(_ resource: S, _ org: String) -> S {
        var copy = resource
        copy.org = org
        return copy
    }
}

extension StoredDocument {
    /// The resource this document holds; see `ResourceCoding.decode`.
    public func decoded<R: Resource>(as type: R.Type) throws -> R {
        try ResourceCoding.decode(self, as: type)
    }
}

extension StoreReader {
    /// The resource of type `R` named `name` in `org` ("" for orgs), if it exists.
    public func resource<R: Resource>(_ type: R.Type, org: String, name: String) throws -> R? {
        try document(ResourceCoding.key(type, org: org, name: name)).map { try ResourceCoding.decode($0, as: type) }
    }

    /// Resources of type `R` ordered by (org, name); see `StoreReader.documents` for `org == nil`
    /// and the `after` cursor.
    public func resources<R: Resource>(_ type: R.Type, org: String?, after: String?, limit: Int?) throws -> [R] {
        if let org { _ = try ResourceCoding.key(type, org: org, name: "") }
        return try documents(kind: R.kind, org: org, after: after, limit: limit).map {
            try ResourceCoding.decode($0, as: type)
        }
    }
}

extension StoreWriter {
    /// Creates or replaces `resource` in `org` ("" for orgs) and returns it as stored: with its
    /// new revision, timestamps and org. `sealed` is the resource's encrypted material, if any.
    @discardableResult
    public func save<R: Resource>(_ resource: R, org: String, sealed: Data?) throws -> R {
        let key = try ResourceCoding.key(R.self, org: org, name: resource.name)
        let body = try ResourceCoding.encode(resource, key: key)
        return try ResourceCoding.decode(try put(key, body: body, sealed: sealed), as: R.self)
    }

    /// Removes the resource of type `R` named `name` in `org` and returns what was removed.
    @discardableResult
    public func remove<R: Resource>(_ type: R.Type, org: String, name: String) throws -> R? {
        try delete(ResourceCoding.key(type, org: org, name: name)).map { try ResourceCoding.decode($0, as: type) }
    }
}
