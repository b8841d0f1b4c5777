extension Route {
    /// How the edge authenticates a route's callers, and what it requires of them.
    ///
    /// `accept` lists the methods a caller may use; `mode` is the one-method shorthand of earlier
    /// documents (`{"mode": "none"}`). Both are kept as given, so a document reads back as it was
    /// written; `effectiveMethods` is what they mean. Absent `auth` (or neither member) is `none`.
    /// Every other member narrows the methods it belongs to, and is refused on a route that
    /// accepts none of them, so a setting can never look active while it is not.
    public struct Auth: Codable, Sendable, Equatable {
        public static let defaultAPIKeyHeader = "x-api-key"
        /// The provider name for tokens Gatehouse itself issues (service accounts, its own login).
        public static let gatehouseProvider = IdentityProvider.reservedName
        public static let maxValueLength = 256

        /// The single method, as the shorthand of `accept`.
        public var mode: Method?
        public var accept: [Method]?
        /// For `jwt` and `session`: who may have issued the token or established the session:
        /// names of the org's identity providers, or `gatehouse`. Absent: all of them.
        public var providers: [String]?
        /// For `jwt`: the token's `aud` must name one of these. Absent: each provider's own.
        public var audiences: [String]?
        /// Every one of these scopes is required.
        public var scopes: [String]?
        /// Membership in any one of these groups is required.
        public var groups: [String]?
        /// For `api-key`: the header that carries the key (lowercase). `Authorization: Bearer
        /// gak_...` is accepted as well.
        public var apiKeyHeader: String?
        /// `true`: beyond authenticating, the caller must be granted `functions:invoke` by the
        /// org's policies (a role with it bound to one of the caller's subjects).
        public var requireInvokePermission: Bool?
        /// For `jwt`: `true` also accepts OpenID Connect ID tokens as bearer tokens. Absent or
        /// `false`: a token that reads as an ID token (a `nonce`, `at_hash`, `c_hash` or `s_hash`
        /// claim, or `azp` without `scope`) is refused, because an ID token says who signed in
        /// to a client, not what its holder may call.
        public var acceptIdTokens: Bool?

        public enum Method: String, Codable, Sendable, CaseIterable {
            /// No authentication: anyone may call. (Not `none`, which `Optional` already has.)
            case anonymous = "none"
            /// A bearer token: a JWT of an OIDC or Entra ID provider or of Gatehouse, or a GitHub
            /// token where the provider accepts them.
            case jwt
            /// A login session (cookie) established through one of the providers.
            case session
            /// One of the org's API keys.
            case apiKey = "api-key"

            public init(from decoder: any Decoder) throws {
                self = try decodeNamed(decoder, what: "an authentication method")
            }
        }

        /// No member set: `none`.
        public init() {}

        public init(mode: Method) {
            self.mode = mode
        }

        public init(
            accept: [Method], providers: [String]? = nil, audiences: [String]? = nil, scopes: [String]? = nil,
            groups: [String]? = nil, apiKeyHeader: String? = nil, requireInvokePermission: Bool? = nil,
            acceptIdTokens: Bool? = nil
        ) {
            self.acceptIdTokens = acceptIdTokens
            self.accept = accept
            self.providers = providers
            self.audiences = audiences
            self.scopes = scopes
            self.groups = groups
            self.apiKeyHeader = apiKeyHeader
            self.requireInvokePermission = requireInvokePermission
        }

        /// The methods the route accepts, whichever way the document said it.
        public var effectiveMethods: [Method] { accept ?? mode.map { [$0] } ?? [.anonymous] }
        public var effectiveAPIKeyHeader: String { apiKeyHeader ?? Self.defaultAPIKeyHeader }
        public var acceptsAnonymous: Bool { effectiveMethods.contains(.anonymous) }

        /// Whether `provider` may vouch for a caller: listed, or every provider when none are.
        public func admits(provider: String) -> Bool { providers?.contains(provider) ?? true }

        public func validate(field: String) throws(Problem) {
            if mode != nil, accept != nil {
                throw Problem.invalidField(
                    "\(field).mode", "give either '\(field).mode' (one method) or '\(field).accept' (a list of methods), not both")
            }
            if let accept {
                try FieldRules.list(
                    accept.map(\.rawValue), field: "\(field).accept",
                    emptyMeans: "give at least one method, or [\"none\"] for a route anyone may call")
                try FieldRules.unique(accept.map(\.rawValue), field: "\(field).accept")
                if accept.count > 1, accept.contains(.anonymous) {
                    throw Problem.invalidField(
                        "\(field).accept",
                        "'none' admits every caller, credentials or not, so it cannot be combined with other methods")
                }
            }
            let methods = Set(effectiveMethods)
            let accepted = effectiveMethods.map(\.rawValue).joined(separator: ", ")
            func onlyFor(_ member: String, _ needed: Set<Method>, _ why: String) throws(Problem) {
                guard methods.isDisjoint(with: needed) else { return }
                throw Problem.invalidField(
                    "\(field).\(member)", "\(field).\(member) \(why); this route accepts only \(accepted)")
            }
            if let providers {
                try onlyFor(
                    "providers", [.jwt, .session],
                    "says who may issue the tokens of 'jwt' and the sessions of 'session'")
                try FieldRules.list(
                    providers, field: "\(field).providers",
                    emptyMeans: "leave it out to accept all of the org's identity providers and 'gatehouse'; an empty list would accept no one")
                for (index, provider) in providers.enumerated() {
                    try ResourceName.validate(provider, field: "\(field).providers[\(index)]")
                }
                try FieldRules.unique(providers, field: "\(field).providers")
            }
            if let audiences {
                try onlyFor("audiences", [.jwt], "is checked against a bearer token's 'aud' claim, so it needs 'jwt'")
                try FieldRules.texts(
                    audiences, field: "\(field).audiences", maxLength: Self.maxValueLength,
                    emptyMeans: "leave it out to use each provider's audiences; an empty list would accept no token")
            }
            if let scopes {
                try onlyFor("scopes", [.jwt, .session, .apiKey], "is checked against an authenticated caller")
                try FieldRules.scopes(scopes, field: "\(field).scopes")
            }
            if let groups {
                try onlyFor("groups", [.jwt, .session, .apiKey], "is checked against an authenticated caller")
                try FieldRules.texts(
                    groups, field: "\(field).groups", maxLength: Self.maxValueLength,
                    emptyMeans: "leave it out to require no group; an empty list would admit no one")
            }
            if requireInvokePermission == true {
                try onlyFor(
                    "requireInvokePermission", [.jwt, .session, .apiKey],
                    "asks the org's policies about the caller, so it needs an authenticated one")
            }
            if acceptIdTokens == true {
                try onlyFor("acceptIdTokens", [.jwt], "lets ID tokens in as bearer tokens, so it needs 'jwt'")
            }
            if let apiKeyHeader {
                try onlyFor("apiKeyHeader", [.apiKey], "names where API keys are sent, so it needs 'api-key'")
                try Self.validateHeaderName(apiKeyHeader, field: "\(field).apiKeyHeader")
            }
        }

        /// Headers that already mean something else to HTTP or to the edge.
        static let reservedHeaders: Set<String> = [
            "authorization", "proxy-authorization", "cookie", "host", "connection", "content-length",
            "content-type", "transfer-encoding", "te", "upgrade", "keep-alive", "x-request-id", "traceparent",
            "forwarded", "via",
        ]

        static func validateHeaderName(_ name: String, field: String) throws(Problem) {
            // Lowercase only: header names are compared lowercased.
            guard FieldRules.isToken(name), name == name.lowercased()
            else {
                throw Problem.invalidField(
                    field, "\(field) must be a lowercase header name: 1-64 of a-z, 0-9 and !#$%&'*+-.^_`|~")
            }
            guard !reservedHeaders.contains(name), !name.hasPrefix("x-gatehouse-"), !name.hasPrefix("x-forwarded-") else {
                throw Problem.invalidField(
                    field,
                    "'\(name)' already means something to HTTP or the edge; use a header of its own such as x-api-key (Authorization: Bearer gak_... is always accepted)")
            }
        }
    }
}
