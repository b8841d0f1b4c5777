import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore

/// What differs between resource kinds in the admin API: checks against other resources, which
/// run inside the write transaction so they cannot race, and how a resource is stored and shown.
protocol ResourceRules<R>: Sendable {
    associatedtype R: Resource

    /// Rules that involve other resources (references, overlaps, ownership). `org` is "" for orgs.
    func checkWrite(_ resource: R, org: String, in store: any StoreReader) throws
    /// Refuses a delete that would leave dangling references or orphaned data.
    func checkDelete(_ resource: R, org: String, in store: any StoreReader) throws
    /// The resource as stored, and its sealed material (secret values, a client secret), if any.
    /// `existing` is the stored document being replaced, read in the same transaction, for kinds
    /// that keep sealed material a write leaves out.
    func storable(_ resource: R, org: String, existing: StoredDocument?) throws -> (R, Data?)
    /// The resource as responses show it.
    func presented(_ resource: R) -> R
    /// The same, with what the server works out from other resources (an org's storage use),
    /// read in the transaction that read or wrote the resource.
    func presented(_ resource: R, in store: any StoreReader) throws -> R
    /// Called in the write transaction when the resource does not exist yet, before the other
    /// rules: the resource with what the server generates for it, and members to add to the
    /// create response only (a value shown once, such as a new API key). Later responses never
    /// contain them.
    func created(_ resource: R, org: String) throws -> (R, shownOnce: [String: String])
}

extension ResourceRules {
    func checkWrite(_ resource: R, org: String, in store: any StoreReader) throws {}
    func checkDelete(_ resource: R, org: String, in store: any StoreReader) throws {}
    func storable(_ resource: R, org: String, existing: StoredDocument?) throws -> (R, Data?) { (resource, nil) }
    func presented(_ resource: R) -> R { resource }
    func presented(_ resource: R, in store: any StoreReader) throws -> R { presented(resource) }
    func created(_ resource: R, org: String) throws -> (R, shownOnce: [String: String]) { (resource, [:]) }
}

struct OrgRules: ResourceRules {
    let storage: OrgStorage

    /// `status` is the server's: what a write sends of it is dropped.
    func storable(_ org: Org, org _: String, existing: StoredDocument?) throws -> (Org, Data?) {
        var org = org
        org.status = nil
        return (org, nil)
    }

    func presented(_ org: Org, in store: any StoreReader) throws -> Org {
        var org = org
        org.status = try storage.status(of: org, in: store)
        return org
    }

    /// An org is deleted only once it owns nothing: a tenant's data is never removed as a side effect.
    func checkDelete(_ org: Org, org _: String, in store: any StoreReader) throws {
        var owned: [String] = []
        for kind in ResourceKind.allCases where kind != .org {
            let count = try store.count(kind: kind, org: org.name)
            if count > 0 { owned.append("\(count) \(count == 1 ? kind.singular : kind.rawValue)") }
        }
        guard owned.isEmpty else {
            throw Problem.conflict("org '\(org.name)' still owns \(owned.joined(separator: ", ")); delete them first")
        }
    }
}

struct FunctionRules: ResourceRules {
    /// Every secret a function names must exist in its org (as a route's function must).
    func checkWrite(_ function: Function, org: String, in store: any StoreReader) throws {
        var named = function.secretNames.enumerated().map { ("secrets[\($0.offset)]", $0.element) }
        if let secret = function.openfaas?.basicAuthSecret { named.append(("openfaas.basicAuthSecret", secret)) }
        if let secret = function.openwhisk?.authSecret { named.append(("openwhisk.authSecret", secret)) }
        for (field, secret) in named where try store.document(ResourceKey(kind: .secret, org: org, name: secret)) == nil {
            throw Problem.invalidField(field, "secret '\(secret)' does not exist in org '\(org)'")
        }
    }

    /// `code` and `status` are the server's: a write keeps the stored ones, whatever its body
    /// says. Code built for another runtime or handler is not trusted to fit the new one: the
    /// function waits for its code to be uploaded again (the same bytes rebuild at once).
    func storable(_ function: Function, org: String, existing: StoredDocument?) throws -> (Function, Data?) {
        var function = function
        let stored = try existing.map { try $0.decoded(as: Function.self) }
        function.code = stored?.code
        function.status = stored?.status
        if let stored, stored.code != nil, function.runtime.runsUploadedCode,
            stored.runtime != function.runtime || stored.process != function.process || stored.wasm != function.wasm
        {
            function.status = Function.Status(
                state: .pending,
                reason: "the runtime changed since the code was built: upload the code again (PUT /v1/orgs/\(org)/functions/\(function.name)/code)",
                updatedAt: Date())
        }
        if !function.runtime.runsUploadedCode {
            function.code = nil
            function.status = Function.Status(state: .ready)
        } else if function.code == nil || function.status == nil {
            function.status = function.initialStatus
        }
        return (function, nil)
    }

    func checkDelete(_ function: Function, org: String, in store: any StoreReader) throws {
        let routes = try store.resources(Route.self, org: org, after: nil, limit: nil)
        // Every route that uses it, so one answer says everything to delete or repoint.
        let users = routes.filter { $0.function == function.name }.map(\.name)
        if let first = users.first {
            let named = users.map { "'\($0)'" }.joined(separator: ", ")
            throw Problem.conflict(
                users.count == 1
                    ? "function '\(function.name)' is used by route \(named); delete or repoint the route first"
                    : "function '\(function.name)' is used by \(users.count) routes: \(named); delete or repoint them first",
                with: first)
        }
    }
}

struct RouteRules: ResourceRules {
    func checkWrite(_ route: Route, org: String, in store: any StoreReader) throws {
        guard try store.document(ResourceKey(kind: .function, org: org, name: route.function)) != nil else {
            throw Problem.invalidField("function", "function '\(route.function)' does not exist in org '\(org)'")
        }
        for (index, provider) in (route.auth?.providers ?? []).enumerated() where provider != Route.Auth.gatehouseProvider {
            guard try store.document(ResourceKey(kind: .identityProvider, org: org, name: provider)) != nil else {
                throw Problem.invalidField(
                    "auth.providers[\(index)]",
                    "identity provider '\(provider)' does not exist in org '\(org)'; name one of the org's identity providers, or '\(Route.Auth.gatehouseProvider)' for tokens Gatehouse issues")
            }
        }
        for other in try store.resources(Route.self, org: org, after: nil, limit: nil) where other.name != route.name {
            if let path = route.overlap(with: other) {
                throw Problem.conflict(
                    "path '\(path)' overlaps route '\(other.name)' (same shape, hosts and methods)", with: other.name)
            }
        }
        let hosts = Set(route.hostList)
        guard !hosts.isEmpty else { return }
        // A host belongs to one org. The other org's name is not revealed.
        for other in try store.resources(Route.self, org: nil, after: nil, limit: nil) where other.org != org {
            if let taken = other.hostList.first(where: hosts.contains) {
                throw Problem.conflict("host '\(taken)' belongs to another org")
            }
        }
    }
}

struct SecretRules: ResourceRules {
    let sealer: SecretSealer

    /// Values leave the document and are stored only sealed; the document keeps their keys.
    func storable(_ secret: Secret, org: String, existing _: StoredDocument?) throws -> (Secret, Data?) {
        let values = secret.values ?? [:]
        let sealed = try sealer.seal(values, org: org, name: secret.name)
        return (secret.redacted(), sealed)
    }

    func presented(_ secret: Secret) -> Secret { secret.redacted() }

    /// A secret a function still names is not deleted from under it (409 naming the function).
    func checkDelete(_ secret: Secret, org: String, in store: any StoreReader) throws {
        let functions = try store.resources(Function.self, org: org, after: nil, limit: nil)
        if let user = functions.first(where: {
            $0.secretNames.contains(secret.name) || $0.openfaas?.basicAuthSecret == secret.name || $0.openwhisk?.authSecret == secret.name
        }) {
            throw Problem.conflict(
                "secret '\(secret.name)' is used by function '\(user.name)'; remove it from the function first", with: user.name)
        }
    }
}

struct IdentityProviderRules: ResourceRules {
    /// The member of the sealed dictionary that holds the client secret.
    static let sealedKey = "clientSecret"
    let sealer: SecretSealer

    /// A provider a route names cannot go; routes that name no providers accept whichever exist.
    func checkDelete(_ provider: IdentityProvider, org: String, in store: any StoreReader) throws {
        let routes = try store.resources(Route.self, org: org, after: nil, limit: nil)
        if let user = routes.first(where: { $0.auth?.providers?.contains(provider.name) == true }) {
            throw Problem.conflict(
                "identity provider '\(provider.name)' is named by route '\(user.name)' (auth.providers); change the route first",
                with: user.name)
        }
    }

    /// The client secret leaves the document and is stored only sealed; the document says
    /// whether one is set. A write without `clientSecret` keeps the stored secret, as long as it
    /// still belongs to the same client (same type and clientId): the secret of one client
    /// registration is useless, and misleading, for another. `""` removes it.
    func storable(_ provider: IdentityProvider, org: String, existing: StoredDocument?) throws -> (IdentityProvider, Data?) {
        let field = "\(provider.type.blockName).clientSecret"
        let sealed: Data?
        switch provider.clientSecret {
        case let secret? where !secret.isEmpty:
            sealed = try sealer.seal([Self.sealedKey: secret], org: org, name: provider.name, kind: .identityProvider)
        case .some:
            sealed = nil
        case nil:
            if let existing, let kept = existing.sealed {
                let previous = try existing.decoded(as: IdentityProvider.self)
                guard previous.type == provider.type, previous.clientId == provider.clientId else {
                    throw Problem.invalidField(
                        field,
                        "the stored client secret belongs to the \(previous.type.rawValue) client '\(previous.clientId ?? "")'; send the clientSecret of the new client (or \"\" for none)")
                }
                sealed = kept
            } else {
                sealed = nil
            }
        }
        if provider.type == .github, sealed == nil {
            throw Problem.invalidField(
                field, "a GitHub OAuth app needs its client secret: the code exchange and token checks authenticate with it")
        }
        var stored = provider.redacted()
        stored.clientSecretSet = sealed != nil
        return (stored, sealed)
    }

    func presented(_ provider: IdentityProvider) -> IdentityProvider { provider.redacted() }
}

struct ServiceAccountRules: ResourceRules {
    /// Each PEM must be a public key Gatehouse can verify assertions with; the kind and
    /// fingerprint stored with it are derived from it here, whatever the client sent.
    func storable(_ account: ServiceAccount, org _: String, existing _: StoredDocument?) throws -> (ServiceAccount, Data?) {
        var stored = account
        var seen: [String: Int] = [:]
        for (index, key) in account.publicKeys.enumerated() {
            let field = "publicKeys[\(index)].pem"
            let parsed: RegisteredPublicKey
            do {
                parsed = try RegisteredPublicKey.parse(pem: key.pem)
            } catch {
                throw Problem.invalidField(field, "\(field): \(error.description)")
            }
            if let first = seen[parsed.fingerprint] {
                throw Problem.invalidField(
                    field, "\(field) is the same key as publicKeys[\(first)] (fingerprint \(parsed.fingerprint))")
            }
            seen[parsed.fingerprint] = index
            stored.publicKeys[index] = ServiceAccount.PublicKey(
                pem: key.pem, kind: parsed.kind.description, fingerprint: parsed.fingerprint)
        }
        return (stored, nil)
    }
}

struct APIKeyRules: ResourceRules {
    /// The response member that carries the new key, once.
    static let keyMember = "key"

    /// A new API key gets a freshly generated key: the document keeps its id and hash, and the
    /// create response shows the key itself.
    func created(_ apiKey: OrgAPIKey, org _: String) throws -> (OrgAPIKey, shownOnce: [String: String]) {
        let generated = APIKey.generate()
        var stored = apiKey
        stored.keyId = generated.id
        stored.keyHash = generated.hash.bytes.base64URLEncodedString()
        return (stored, [Self.keyMember: generated.value])
    }

    /// The key's id and hash are the server's: an update keeps the stored ones, whatever the
    /// body says (a document read with GET carries `keyId`).
    func storable(_ apiKey: OrgAPIKey, org _: String, existing: StoredDocument?) throws -> (OrgAPIKey, Data?) {
        var stored = apiKey
        stored.key = nil
        if let existing {
            let previous = try existing.decoded(as: OrgAPIKey.self)
            stored.keyId = previous.keyId
            stored.keyHash = previous.keyHash
        }
        guard stored.keyId != nil, stored.keyHash != nil else {
            throw Problem.internalError("the API key has no stored key")
        }
        return (stored, nil)
    }

    func presented(_ apiKey: OrgAPIKey) -> OrgAPIKey { apiKey.presented() }
}
