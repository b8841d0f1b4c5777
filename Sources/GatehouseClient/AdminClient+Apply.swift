import Foundation
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

    /// What applying one document did.
    public enum ApplyOutcome: String, Sendable {
        case created, configured
        /// The server held exactly this already and wrote nothing (the revision stayed).
        case unchanged
    }

    /// PUTs one document and says whether it created, changed or left the resource as it was.
    public func applyReporting(_ document: ApplyDocument) async throws -> (ApplyDocument, ApplyOutcome) {
        let before = try await storedRevision(of: document)
        let stored = try await apply(document)
        let outcome: ApplyOutcome =
            if let before { stored.revision == before ? .unchanged : .configured } else { .created }
        return (stored, outcome)
    }

    /// The stored resource's JSON; nil when there is none (404).
    func stored(_ document: ApplyDocument) async throws -> JSONValue? {
        let response = try await exchange(
            .get, path: try ResourcePath.item(document.kind, name: document.name, org: document.org),
            headers: [("Accept", "application/json, \(Problem.mediaType)")])
        if response.status == 404 { return nil }
        guard (200..<300).contains(response.status) else {
            throw ProblemResponse.problem(status: response.status, contentType: response.contentType, body: response.body)
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: response.body)
        } catch {
            throw AdminClientError.invalidResponse("cannot read the \(document.kind.singular): \(error)")
        }
    }

    private func storedRevision(of document: ApplyDocument) async throws -> Int64? {
        guard case .object(let members) = try await stored(document) else { return nil }
        switch members["revision"] {
        case .integer(let revision): return revision
        case .number(let revision): return Int64(revision)
        default: return nil
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
