import Foundation
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
    /// The resource as stored, and its sealed material (secret values), if any.
    func storable(_ resource: R, org: String) throws -> (R, Data?)
    /// The resource as responses show it.
    func presented(_ resource: R) -> R
}

extension ResourceRules {
    func checkWrite(_ resource: R, org: String, in store: any StoreReader) throws {}
    func checkDelete(_ resource: R, org: String, in store: any StoreReader) throws {}
    func storable(_ resource: R, org: String) throws -> (R, Data?) { (resource, nil) }
    func presented(_ resource: R) -> R { resource }
}

struct OrgRules: ResourceRules {
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
    func checkDelete(_ function: Function, org: String, in store: any StoreReader) throws {
        let routes = try store.resources(Route.self, org: org, after: nil, limit: nil)
        if let user = routes.first(where: { $0.function == function.name }) {
            throw Problem.conflict(
                "function '\(function.name)' is used by route '\(user.name)'; delete or repoint the route first",
                with: user.name)
        }
    }
}

struct RouteRules: ResourceRules {
    func checkWrite(_ route: Route, org: String, in store: any StoreReader) throws {
        guard try store.document(ResourceKey(kind: .function, org: org, name: route.function)) != nil else {
            throw Problem.invalidField("function", "function '\(route.function)' does not exist in org '\(org)'")
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
    func storable(_ secret: Secret, org: String) throws -> (Secret, Data?) {
        let values = secret.values ?? [:]
        let sealed = try sealer.seal(values, org: org, name: secret.name)
        return (secret.redacted(), sealed)
    }

    func presented(_ secret: Secret) -> Secret { secret.redacted() }
}
