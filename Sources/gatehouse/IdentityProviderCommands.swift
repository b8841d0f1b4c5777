import ArgumentParser
import Foundation
import GatehouseModel

/// `gatehouse identity-provider ...`: the issuers and logins an org's routes accept. Each type
/// has its own options; an option of another type is an error rather than silently unused.
///
/// The client secret has no plain option, so it never lands in shell history or the process
/// list: it comes from a file or stdin. The server never returns it, and an update that does not
/// give it keeps the stored one.
enum IdentityProviderCommands: ResourceCommandKind {
    typealias Value = IdentityProvider
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(help: "oidc, azure-ad or github (required to create; on update, a new type starts from scratch).")
        var type: String?

        @Option(name: .customLong("client-id"), help: "The OAuth client id (required to create).")
        var clientId: String?

        @Option(
            name: .customLong("client-secret-file"),
            help: "A file holding the client secret (a trailing newline is dropped).")
        var clientSecretFile: String?

        @Flag(name: .customLong("client-secret-stdin"), help: "Read the client secret from standard input.")
        var clientSecretStdin = false

        @Flag(name: .customLong("clear-client-secret"), help: "Remove the stored client secret.")
        var clearClientSecret = false

        @Option(help: "oidc: the issuer URL (https; http only for 127.0.0.1, ::1, localhost).")
        var issuer: String?

        @Option(help: "azure-ad: the tenant id (a GUID) or a verified domain name.")
        var tenant: String?

        @Option(name: .customLong("base-url"), help: "azure-ad: the login host; github: the REST API (https://HOST/api/v3 for Enterprise).")
        var baseUrl: String?

        @Option(name: .customLong("graph-base-url"), help: "azure-ad: Microsoft Graph's base URL.")
        var graphBaseUrl: String?

        @Option(name: .customLong("audience"), help: "oidc, azure-ad: an accepted token audience; repeat (default: the client id).")
        var audiences: [String] = []

        @Option(name: .customLong("scope"), help: "oidc, azure-ad: a scope to request; repeat (default: openid email profile).")
        var scopes: [String] = []

        @Option(
            name: .customLong("claim"),
            help: "oidc, azure-ad: which claim holds subject, email, groups (or roles, azure-ad), as name=claim; repeat.")
        var claims: [String] = []

        @Option(
            name: .customLong("token-endpoint-auth-method"),
            help: "oidc, azure-ad: client_secret_basic, client_secret_post or private_key_jwt (default: basic when the provider allows it, else post).")
        var tokenEndpointAuthMethod: String?

        @Option(name: .customLong("web-url"), help: "github: where users sign in (default: derived from --base-url).")
        var webUrl: String?

        @Option(name: .customLong("allowed-org"), help: "github: an organization whose members may sign in; repeat.")
        var allowedOrganizations: [String] = []

        @Option(name: .customLong("allowed-team"), help: "github: a team (org/team-slug) whose members may sign in; repeat.")
        var allowedTeams: [String] = []

        @Flag(inversion: .prefixedNo, help: "github: accept GitHub access tokens as bearer tokens at the edge (default: no).")
        var acceptBearerTokens: Bool?

        @Option(name: .customLong("token-cache-seconds"), help: "github: how long a verified token is remembered, 0-3600 (default 60).")
        var tokenCacheSeconds: Int?

        var isEmpty: Bool {
            type == nil && clientId == nil && clientSecretFile == nil && !clientSecretStdin && !clearClientSecret
                && issuer == nil && tenant == nil && baseUrl == nil && graphBaseUrl == nil && audiences.isEmpty
                && scopes.isEmpty && claims.isEmpty && tokenEndpointAuthMethod == nil && webUrl == nil && allowedOrganizations.isEmpty
                && allowedTeams.isEmpty && acceptBearerTokens == nil && tokenCacheSeconds == nil
        }

        func authMethod() throws -> IdentityProvider.TokenEndpointAuthMethod? {
            guard let tokenEndpointAuthMethod else { return nil }
            guard let parsed = IdentityProvider.TokenEndpointAuthMethod(rawValue: tokenEndpointAuthMethod) else {
                let known = IdentityProvider.TokenEndpointAuthMethod.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--token-endpoint-auth-method must be one of \(known)")
            }
            return parsed
        }

        func providerType() throws -> IdentityProvider.ProviderType? {
            guard let type else { return nil }
            guard let parsed = IdentityProvider.ProviderType(rawValue: type) else {
                throw ValidationError("--type must be oidc, azure-ad or github")
            }
            return parsed
        }

        /// Each type-specific option that was given, with the types it belongs to.
        private var typedOptions: [(flag: String, given: Bool, types: Set<IdentityProvider.ProviderType>)] {
            [
                ("--issuer", issuer != nil, [.oidc]),
                ("--tenant", tenant != nil, [.azureAD]),
                ("--graph-base-url", graphBaseUrl != nil, [.azureAD]),
                ("--base-url", baseUrl != nil, [.azureAD, .github]),
                ("--audience", !audiences.isEmpty, [.oidc, .azureAD]),
                ("--scope", !scopes.isEmpty, [.oidc, .azureAD]),
                ("--claim", !claims.isEmpty, [.oidc, .azureAD]),
                ("--token-endpoint-auth-method", tokenEndpointAuthMethod != nil, [.oidc, .azureAD]),
                ("--web-url", webUrl != nil, [.github]),
                ("--allowed-org", !allowedOrganizations.isEmpty, [.github]),
                ("--allowed-team", !allowedTeams.isEmpty, [.github]),
                ("--[no-]accept-bearer-tokens", acceptBearerTokens != nil, [.github]),
                ("--token-cache-seconds", tokenCacheSeconds != nil, [.github]),
            ]
        }

        func checkOptions(fit type: IdentityProvider.ProviderType) throws {
            for option in typedOptions where option.given && !option.types.contains(type) {
                let types = option.types.map(\.rawValue).sorted().joined(separator: " and ")
                throw ValidationError("\(option.flag) is for type \(types), not \(type.rawValue)")
            }
        }

        /// The secret from --client-secret-file or --client-secret-stdin, `""` for
        /// --clear-client-secret, nil when none of them is given.
        func clientSecret() throws -> String? {
            let given = [clientSecretFile != nil, clientSecretStdin, clearClientSecret].filter { $0 }.count
            guard given <= 1 else {
                throw ValidationError("give one of --client-secret-file, --client-secret-stdin and --clear-client-secret")
            }
            if clearClientSecret { return "" }
            let data: Data
            let source: String
            if let path = clientSecretFile {
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw CommandError("--client-secret-file: cannot read '\(path)'")
                }
                (data, source) = (contents, "'\(path)'")
            } else if clientSecretStdin {
                (data, source) = (FileHandle.standardInput.readDataToEndOfFile(), "stdin")
            } else {
                return nil
            }
            guard var secret = String(data: data, encoding: .utf8) else {
                throw CommandError("the client secret in \(source) is not UTF-8 text")
            }
            // What `echo` or an editor leaves at the end is not part of the secret.
            if secret.hasSuffix("\n") { secret.removeLast() }
            if secret.hasSuffix("\r") { secret.removeLast() }
            guard !secret.isEmpty else { throw CommandError("the client secret in \(source) is empty") }
            return secret
        }

        /// `--claim name=claim` as a dictionary; names are checked against what `type` maps.
        func claimMappings(for type: IdentityProvider.ProviderType) throws -> [String: String] {
            let known = type == .azureAD ? ["subject", "email", "groups", "roles"] : ["subject", "email", "groups"]
            var mappings: [String: String] = [:]
            for text in claims {
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    throw ValidationError("--claim: expected name=claim, such as subject=oid")
                }
                let name = String(text[..<equals]), claim = String(text[text.index(after: equals)...])
                guard known.contains(name) else {
                    throw ValidationError("--claim: '\(name)' is not one of \(known.joined(separator: ", ")) (type \(type.rawValue))")
                }
                mappings[name] = claim
            }
            return mappings
        }
    }

    static let abstract = "Manage identity providers: the OIDC issuers, Entra ID tenants and GitHub logins routes accept."

    static func makeResource(named name: String, from fields: Fields) throws -> IdentityProvider {
        guard let type = try fields.providerType() else {
            throw ValidationError("--type is required to create an identity provider: oidc, azure-ad or github")
        }
        guard let clientId = fields.clientId else { throw ValidationError("--client-id is required to create an identity provider") }
        try fields.checkOptions(fit: type)
        var provider: IdentityProvider
        switch type {
        case .oidc:
            guard let issuer = fields.issuer else { throw ValidationError("--issuer is required for type oidc") }
            provider = IdentityProvider(name: name, oidc: .init(issuer: issuer, clientId: clientId))
        case .azureAD:
            guard let tenant = fields.tenant else { throw ValidationError("--tenant is required for type azure-ad") }
            provider = IdentityProvider(name: name, azureAd: .init(tenant: tenant, clientId: clientId))
        case .github:
            provider = IdentityProvider(name: name, github: .init(clientId: clientId))
        }
        try apply(fields, to: &provider)
        return provider
    }

    static func update(_ provider: inout IdentityProvider, from fields: Fields) throws {
        if let type = try fields.providerType(), type != provider.type {
            let org = provider.org
            provider = try makeResource(named: provider.name, from: fields)
            provider.org = org
            return
        }
        try fields.checkOptions(fit: provider.type)
        try apply(fields, to: &provider)
    }

    /// The `--claim` options laid over a block's claim names (the ones every OIDC-like type has).
    private static func mapped<C: ClaimNames>(_ claims: [String: String], onto existing: C?) -> C {
        var mapped = existing ?? C()
        if let claim = claims["subject"] { mapped.subject = claim }
        if let claim = claims["email"] { mapped.email = claim }
        if let claim = claims["groups"] { mapped.groups = claim }
        return mapped
    }

    /// Sets what the options give on the provider's block, leaving the rest as it is.
    private static func apply(_ fields: Fields, to provider: inout IdentityProvider) throws {
        let claims = try fields.claimMappings(for: provider.type)
        let authMethod = try fields.authMethod()
        switch provider.type {
        case .oidc:
            guard var block = provider.oidc else { return }
            if let clientId = fields.clientId { block.clientId = clientId }
            if let issuer = fields.issuer { block.issuer = issuer }
            if !fields.audiences.isEmpty { block.audiences = fields.audiences }
            if !fields.scopes.isEmpty { block.scopes = fields.scopes }
            if !claims.isEmpty { block.claims = mapped(claims, onto: block.claims) }
            if let authMethod { block.tokenEndpointAuthMethod = authMethod }
            provider.oidc = block
        case .azureAD:
            guard var block = provider.azureAd else { return }
            if let clientId = fields.clientId { block.clientId = clientId }
            if let tenant = fields.tenant { block.tenant = tenant }
            if let baseUrl = fields.baseUrl { block.baseUrl = baseUrl }
            if let graphBaseUrl = fields.graphBaseUrl { block.graphBaseUrl = graphBaseUrl }
            if let authMethod { block.tokenEndpointAuthMethod = authMethod }
            if !fields.audiences.isEmpty { block.audiences = fields.audiences }
            if !fields.scopes.isEmpty { block.scopes = fields.scopes }
            if !claims.isEmpty {
                var azure = mapped(claims, onto: block.claims)
                if let claim = claims["roles"] { azure.roles = claim }
                block.claims = azure
            }
            provider.azureAd = block
        case .github:
            guard var block = provider.github else { return }
            if let clientId = fields.clientId { block.clientId = clientId }
            if let baseUrl = fields.baseUrl { block.baseUrl = baseUrl }
            if let webUrl = fields.webUrl { block.webUrl = webUrl }
            if !fields.allowedOrganizations.isEmpty { block.allowedOrganizations = fields.allowedOrganizations }
            if !fields.allowedTeams.isEmpty { block.allowedTeams = fields.allowedTeams }
            if let accept = fields.acceptBearerTokens { block.acceptBearerTokens = accept }
            if let seconds = fields.tokenCacheSeconds { block.tokenCacheSeconds = seconds }
            provider.github = block
        }
        // Read last: a usage error above should not have consumed stdin first.
        if let secret = try fields.clientSecret() { provider.clientSecret = secret }
    }
}

/// The claim names `oidc` and `azure-ad` blocks share, so `--claim` is applied by one piece of code.
protocol ClaimNames {
    init()
    var subject: String? { get set }
    var email: String? { get set }
    var groups: String? { get set }
}

extension IdentityProvider.Claims: ClaimNames {
    init() { self.init(subject: nil) }
}

extension IdentityProvider.AzureClaims: ClaimNames {
    init() { self.init(subject: nil) }
}
