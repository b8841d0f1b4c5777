import GatehouseModel

/// One resource of a declarative config file (`gatehouse apply -f`), typed and validated.
///
/// Org-scoped resources carry their org in the resource's own `org` field, which parsing
/// guarantees is present.
public enum ApplyDocument: Sendable, Equatable {
    case org(Org)
    case function(Function)
    case route(Route)
    case secret(Secret)
    case identityProvider(IdentityProvider)
    case serviceAccount(ServiceAccount)
    case apiKey(OrgAPIKey)
    case policy(Policy)

    public var kind: ResourceKind {
        switch self {
        case .org: .org
        case .function: .function
        case .route: .route
        case .secret: .secret
        case .identityProvider: .identityProvider
        case .serviceAccount: .serviceAccount
        case .apiKey: .apiKey
        case .policy: .policy
        }
    }

    public var name: String {
        switch self {
        case .org(let org): org.name
        case .function(let function): function.name
        case .route(let route): route.name
        case .secret(let secret): secret.name
        case .identityProvider(let provider): provider.name
        case .serviceAccount(let account): account.name
        case .apiKey(let apiKey): apiKey.name
        case .policy(let policy): policy.name
        }
    }

    /// The owning org; nil for an org itself.
    public var org: String? {
        switch self {
        case .org: nil
        case .function(let function): function.org
        case .route(let route): route.org
        case .secret(let secret): secret.org
        case .identityProvider(let provider): provider.org
        case .serviceAccount(let account): account.org
        case .apiKey(let apiKey): apiKey.org
        case .policy(let policy): policy.org
        }
    }

    /// The stored revision (nil in a file).
    public var revision: Int64? {
        switch self {
        case .org(let org): org.revision
        case .function(let function): function.revision
        case .route(let route): route.revision
        case .secret(let secret): secret.revision
        case .identityProvider(let provider): provider.revision
        case .serviceAccount(let account): account.revision
        case .apiKey(let apiKey): apiKey.revision
        case .policy(let policy): policy.revision
        }
    }

    /// How messages name the resource: `org acme`, `function acme/hello`.
    public var label: String { kind.label(name: name, org: org) }
}

// MARK: - Ordering

extension ApplyDocument {
    /// Orgs first, then what functions may need (secrets), the identity providers, service
    /// accounts and API keys, the functions that routes name, then the routes, and last the
    /// policies that bind roles to those principals and limit those routes: each PUT finds what
    /// it depends on already in place.
    static let applyOrder: [ResourceKind] = [
        .org, .secret, .identityProvider, .serviceAccount, .apiKey, .function, .route, .policy,
    ]

    /// The documents in dependency order for creation; documents of one kind keep file order.
    public static func orderedForApply(_ documents: [ApplyDocument]) -> [ApplyDocument] {
        documents.enumerated()
            .sorted { lhs, rhs in
                let left = applyOrder.firstIndex(of: lhs.element.kind)!
                let right = applyOrder.firstIndex(of: rhs.element.kind)!
                return left != right ? left < right : lhs.offset < rhs.offset
            }
            .map(\.element)
    }

    /// The reverse of the apply order, so nothing is deleted while something still refers to it
    /// (the server refuses to delete a referenced function or identity provider, or a non-empty
    /// org).
    public static func orderedForDelete(_ documents: [ApplyDocument]) -> [ApplyDocument] {
        orderedForApply(documents).reversed()
    }
}
