import GatehouseModel

/// Declarative operations over `ApplyDocument`s, as `gatehouse apply -f` and `delete -f` use them.
extension AdminClient {
    /// PUTs one document (create or replace) and returns what the server stored.
    public func apply(_ document: ApplyDocument) async throws -> ApplyDocument {
        switch document {
        case .org(let org):
            return .org(try await put(org).resource)
        case .function(let function):
            return .function(try await putOrgScoped(function))
        case .route(let route):
            return .route(try await putOrgScoped(route))
        case .secret(let secret):
            return .secret(try await putOrgScoped(secret))
        case .identityProvider(let provider):
            return .identityProvider(try await putOrgScoped(provider))
        case .serviceAccount(let account):
            return .serviceAccount(try await putOrgScoped(account))
        case .apiKey(let apiKey):
            return .apiKey(try await putOrgScoped(apiKey))
        case .policy(let policy):
            return .policy(try await putOrgScoped(policy))
        }
    }

    /// Deletes the resource a document describes.
    public func delete(_ document: ApplyDocument) async throws {
        switch document {
        case .org(let org): try await delete(Org.self, named: org.name)
        case .function(let function): try await delete(Function.self, named: function.name, org: function.org)
        case .route(let route): try await delete(Route.self, named: route.name, org: route.org)
        case .secret(let secret): try await delete(Secret.self, named: secret.name, org: secret.org)
        case .identityProvider(let provider):
            try await delete(IdentityProvider.self, named: provider.name, org: provider.org)
        case .serviceAccount(let account):
            try await delete(ServiceAccount.self, named: account.name, org: account.org)
        case .apiKey(let apiKey): try await delete(OrgAPIKey.self, named: apiKey.name, org: apiKey.org)
        case .policy(let policy): try await delete(Policy.self, named: policy.name, org: policy.org)
        }
    }

    /// The stored resource keeps the document's org even if a response leaves it out.
    private func putOrgScoped<R: OrgScopedResource>(_ resource: R) async throws -> R {
        var stored = try await put(resource, org: resource.org).resource
        if stored.org == nil { stored.org = resource.org }
        return stored
    }
}

extension ResourceKind {
    /// How messages name a resource: `org acme`, `function acme/hello`.
    public func label(name: String, org: String?) -> String {
        "\(singular) \(org.map { "\($0)/" } ?? "")\(name)"
    }
}
