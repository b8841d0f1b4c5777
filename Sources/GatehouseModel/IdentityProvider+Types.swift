import Foundation

// The settings block of each provider type.

extension IdentityProvider {
    /// `type: oidc`: any OpenID Connect issuer. Its keys and endpoints come from discovery
    /// (`{issuer}/.well-known/openid-configuration`).
    public struct OIDC: Codable, Sendable, Equatable {
        /// Compared byte for byte with tokens' `iss`, as OIDC requires.
        public var issuer: String
        public var clientId: String
        /// Write-only: absent keeps the stored secret, `""` removes it. Needed for login
        /// (sessions) with a confidential client; verifying bearer tokens needs none.
        public var clientSecret: String?
        /// Output only: whether a client secret is stored.
        public var clientSecretSet: Bool?
        /// A token's `aud` must name one of these; absent means `[clientId]`.
        public var audiences: [String]?
        /// Requested at login; absent means `openid email profile`. Must include `openid`.
        public var scopes: [String]?
        public var claims: Claims?
        /// How the code exchange authenticates; see `TokenEndpointAuthMethod`.
        public var tokenEndpointAuthMethod: TokenEndpointAuthMethod?

        public init(
            issuer: String, clientId: String, clientSecret: String? = nil, audiences: [String]? = nil,
            scopes: [String]? = nil, claims: Claims? = nil, tokenEndpointAuthMethod: TokenEndpointAuthMethod? = nil
        ) {
            self.issuer = issuer
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.audiences = audiences
            self.scopes = scopes
            self.claims = claims
            self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        }

        public var effectiveAudiences: [String] { audiences ?? [clientId] }
        public var effectiveScopes: [String] { scopes ?? IdentityProvider.defaultScopes }
        public var effectiveClaims: Claims { claims ?? Claims() }

        func validate(field: String) throws(Problem) {
            try ProviderURL.validate(issuer, field: "\(field).issuer")
            try IdentityProvider.validateClient(
                clientId: clientId, clientSecret: clientSecret, audiences: audiences, scopes: scopes, field: field)
            try claims?.validate(field: "\(field).claims")
        }
    }

    /// `type: azure-ad`: one Microsoft Entra ID (Azure AD) tenant, through its v2.0 endpoints.
    public struct AzureAD: Codable, Sendable, Equatable {
        public static let defaultBaseUrl = "https://login.microsoftonline.com"
        public static let defaultGraphBaseUrl = "https://graph.microsoft.com"
        /// Aliases that stand for many tenants; see `validateTenant`.
        public static let multiTenantAliases: Set<String> = ["common", "organizations"]
        /// The tenant of personal Microsoft accounts, which the alias `consumers` stands for.
        public static let consumersTenantId = "9188040d-6c67-4c5b-b112-36a304b66dad"

        /// The directory (tenant) id, a GUID, or one of the tenant's verified domain names.
        public var tenant: String
        /// The login host; other clouds have their own (`https://login.microsoftonline.us`).
        public var baseUrl: String?
        /// Microsoft Graph, where group memberships beyond a token's limit are looked up.
        public var graphBaseUrl: String?
        public var clientId: String
        public var clientSecret: String?
        public var clientSecretSet: Bool?
        public var audiences: [String]?
        public var scopes: [String]?
        public var claims: AzureClaims?
        /// How the code exchange authenticates; Microsoft recommends `private_key_jwt`.
        public var tokenEndpointAuthMethod: TokenEndpointAuthMethod?

        public init(
            tenant: String, clientId: String, clientSecret: String? = nil, baseUrl: String? = nil,
            graphBaseUrl: String? = nil, audiences: [String]? = nil, scopes: [String]? = nil, claims: AzureClaims? = nil,
            tokenEndpointAuthMethod: TokenEndpointAuthMethod? = nil
        ) {
            self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
            self.tenant = tenant
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.baseUrl = baseUrl
            self.graphBaseUrl = graphBaseUrl
            self.audiences = audiences
            self.scopes = scopes
            self.claims = claims
        }

        public var effectiveBaseUrl: String { baseUrl ?? Self.defaultBaseUrl }
        public var effectiveGraphBaseUrl: String { graphBaseUrl ?? Self.defaultGraphBaseUrl }
        public var effectiveAudiences: [String] { audiences ?? [clientId] }
        public var effectiveScopes: [String] { scopes ?? IdentityProvider.defaultScopes }
        public var effectiveClaims: AzureClaims { claims ?? AzureClaims() }

        /// `{baseUrl}/{tenant}/v2.0`: the issuer the provider trusts and where discovery starts
        /// (`{authority}/.well-known/openid-configuration`). For a GUID tenant it is exactly the
        /// `iss` of the tenant's v2.0 tokens. For a domain-name tenant Entra ID's discovery
        /// document names the tenant by its GUID (`{baseUrl}/{guid}/v2.0`), and that is the `iss`
        /// to expect. Not part of the JSON: it is derived, and is documented instead.
        public var authority: String { "\(ProviderURL.trimmed(effectiveBaseUrl))/\(tenant)/v2.0" }

        /// Whether `tenant` is a directory id rather than a domain name.
        public var tenantIsId: Bool { AzureAD.isGUID(tenant) }

        func validate(field: String) throws(Problem) {
            try Self.validateTenant(tenant, field: "\(field).tenant")
            if let baseUrl { try ProviderURL.validate(baseUrl, field: "\(field).baseUrl") }
            if let graphBaseUrl { try ProviderURL.validate(graphBaseUrl, field: "\(field).graphBaseUrl") }
            try IdentityProvider.validateClient(
                clientId: clientId, clientSecret: clientSecret, audiences: audiences, scopes: scopes, field: field)
            try claims?.validate(field: "\(field).claims")
        }

        /// One tenant, pinned: a GUID or a verified domain name (`contoso.onmicrosoft.com`).
        static func validateTenant(_ tenant: String, field: String) throws(Problem) {
            let lowered = tenant.lowercased()
            if multiTenantAliases.contains(lowered) {
                throw Problem.invalidField(
                    field,
                    "'\(lowered)' admits users of any Entra ID tenant, and their tokens name each user's own tenant as issuer, so no issuer could be checked: a gateway must pin one tenant. Give its directory (tenant) id or one of its verified domain names")
            }
            if lowered == "consumers" {
                throw Problem.invalidField(
                    field,
                    "'consumers' is an alias; for personal Microsoft accounts give that tenant's id, \(consumersTenantId), which is what their tokens name as issuer")
            }
            guard isGUID(tenant) || isDomainName(lowered) else {
                throw Problem.invalidField(
                    field,
                    "\(field) must be the directory (tenant) id, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain name such as contoso.onmicrosoft.com")
            }
        }

        static func isGUID(_ text: String) -> Bool {
            let groups = text.split(separator: "-", omittingEmptySubsequences: false)
            guard groups.map(\.utf8.count) == [8, 4, 4, 4, 12] else { return false }
            return groups.allSatisfy { $0.utf8.allSatisfy { b in (0x30...0x39).contains(b) || (0x61...0x66).contains(b) || (0x41...0x46).contains(b) } }
        }

        static func isDomainName(_ lowered: String) -> Bool {
            let labels = lowered.split(separator: ".", omittingEmptySubsequences: false)
            return lowered.utf8.count <= 253 && labels.count >= 2
                && labels.allSatisfy { ResourceName.isValid(String($0)) }
        }
    }

    /// `type: github`: users sign in with GitHub (or GitHub Enterprise Server) through an OAuth
    /// app; optionally the edge also accepts GitHub access tokens as bearer tokens.
    public struct GitHub: Codable, Sendable, Equatable {
        public static let defaultBaseUrl = "https://api.github.com"
        public static let defaultWebUrl = "https://github.com"
        public static let defaultTokenCacheSeconds = 60
        public static let maxTokenCacheSeconds = 3600

        public var clientId: String
        /// Required (stored or sent): the code exchange and token checks authenticate with it.
        public var clientSecret: String?
        public var clientSecretSet: Bool?
        /// The REST API: `https://api.github.com`, or `https://HOST/api/v3` for Enterprise Server.
        public var baseUrl: String?
        /// Where users sign in; derived from `baseUrl` when absent.
        public var webUrl: String?
        /// Members of any of these organizations may sign in.
        public var allowedOrganizations: [String]?
        /// Members of any of these teams (`org/team-slug`) may sign in. With neither list, any
        /// GitHub user can authenticate (routes' `groups` or policies must then narrow it).
        public var allowedTeams: [String]?
        /// Whether the edge accepts a GitHub access token presented as `Authorization: Bearer`.
        public var acceptBearerTokens: Bool?
        /// How long a verified GitHub token is remembered (0 checks with GitHub every time).
        public var tokenCacheSeconds: Int?

        public init(
            clientId: String, clientSecret: String? = nil, baseUrl: String? = nil, webUrl: String? = nil,
            allowedOrganizations: [String]? = nil, allowedTeams: [String]? = nil, acceptBearerTokens: Bool? = nil,
            tokenCacheSeconds: Int? = nil
        ) {
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.baseUrl = baseUrl
            self.webUrl = webUrl
            self.allowedOrganizations = allowedOrganizations
            self.allowedTeams = allowedTeams
            self.acceptBearerTokens = acceptBearerTokens
            self.tokenCacheSeconds = tokenCacheSeconds
        }

        public var effectiveBaseUrl: String { baseUrl ?? Self.defaultBaseUrl }
        public var effectiveAcceptBearerTokens: Bool { acceptBearerTokens ?? false }
        public var effectiveTokenCacheSeconds: Int { tokenCacheSeconds ?? Self.defaultTokenCacheSeconds }

        /// `webUrl`, or derived from `baseUrl`: `https://github.com` for `https://api.github.com`,
        /// otherwise `baseUrl` without its `/api/v3` (GitHub Enterprise Server's layout).
        public var effectiveWebUrl: String {
            if let webUrl { return webUrl }
            let base = ProviderURL.trimmed(effectiveBaseUrl)
            if base.lowercased() == Self.defaultBaseUrl { return Self.defaultWebUrl }
            if base.hasSuffix("/api/v3") { return String(base.dropLast("/api/v3".count)) }
            return base
        }

        func validate(field: String) throws(Problem) {
            try IdentityProvider.validateClient(
                clientId: clientId, clientSecret: clientSecret, audiences: nil, scopes: nil, field: field)
            if let baseUrl { try ProviderURL.validate(baseUrl, field: "\(field).baseUrl") }
            if let webUrl { try ProviderURL.validate(webUrl, field: "\(field).webUrl") }
            if let allowedOrganizations {
                try FieldRules.list(allowedOrganizations, field: "\(field).allowedOrganizations")
                for (index, login) in allowedOrganizations.enumerated() where !Self.isLogin(login) {
                    throw Problem.invalidField(
                        "\(field).allowedOrganizations[\(index)]",
                        "'\(login.prefix(80))' is not a GitHub organization name: 1-39 letters, digits and '-', not starting or ending with '-'")
                }
            }
            if let allowedTeams {
                try FieldRules.list(allowedTeams, field: "\(field).allowedTeams")
                for (index, team) in allowedTeams.enumerated() where !Self.isTeam(team) {
                    throw Problem.invalidField(
                        "\(field).allowedTeams[\(index)]",
                        "'\(team.prefix(80))' must be 'org/team-slug': a GitHub organization name, '/', and the team's slug (1-100 letters, digits, '-', '_' and '.')")
                }
            }
            if let tokenCacheSeconds, !(0...Self.maxTokenCacheSeconds).contains(tokenCacheSeconds) {
                throw Problem.invalidField(
                    "\(field).tokenCacheSeconds", "\(field).tokenCacheSeconds must be between 0 and \(Self.maxTokenCacheSeconds)")
            }
        }

        static func isLogin(_ text: some StringProtocol) -> Bool {
            let bytes = Array(text.utf8)
            guard (1...39).contains(bytes.count), bytes.first != 0x2D, bytes.last != 0x2D else { return false }
            return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2D }
        }

        static func isTeam(_ text: String) -> Bool {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, isLogin(parts[0]), (1...100).contains(parts[1].utf8.count) else { return false }
            return parts[1].utf8.allSatisfy { isAlphanumeric($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
        }

        private static func isAlphanumeric(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }
    }
}
