import Foundation

/// An org's identity provider: an issuer whose tokens, or a login whose sessions, the org's
/// routes accept (`auth.providers`). `type` says which protocol it speaks, and the block of that
/// name (`oidc`, `azureAd`, `github`) holds its settings, as a function's `runtime` picks its
/// block.
///
/// The client secret is write-only, like a secret's values: it is sealed at rest, never
/// returned, and responses show `clientSecretSet` instead. A write without `clientSecret`
/// keeps the stored one, so a document read with GET can be PUT back.
///
/// The discriminator is `type` rather than `kind` because `kind` names the resource kind in
/// apply documents (`kind: identity-provider`) and in `-o yaml` output.
public struct IdentityProvider: OrgScopedResource {
    public static let kind = ResourceKind.identityProvider
    /// The name routes use for tokens Gatehouse itself issues, so no provider may take it.
    public static let reservedName = "gatehouse"
    public static let maxClientIdLength = 256
    public static let maxClientSecretBytes = 4096
    public static let maxAudienceLength = 256
    public static let maxClaimNameLength = 128
    public static let defaultScopes = ["openid", "email", "profile"]

    public var name: String
    public var type: ProviderType
    public var oidc: OIDC?
    public var azureAd: AzureAD?
    public var github: GitHub?
    public var org: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public enum ProviderType: String, Codable, Sendable, CaseIterable {
        case oidc
        case azureAD = "azure-ad"
        case github

        /// The member that holds this type's settings.
        public var blockName: String {
            switch self {
            case .oidc: "oidc"
            case .azureAD: "azureAd"
            case .github: "github"
            }
        }

        public init(from decoder: any Decoder) throws {
            let raw = try decoder.singleValueContainer().decode(String.self)
            guard let type = ProviderType(rawValue: raw) else {
                let known = ProviderType.allCases.map(\.rawValue).joined(separator: ", ")
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "'\(raw.prefix(40))' is not a provider type; use one of \(known)"))
            }
            self = type
        }
    }

    public init(name: String, oidc: OIDC) {
        self.name = name
        self.type = .oidc
        self.oidc = oidc
    }

    public init(name: String, azureAd: AzureAD) {
        self.name = name
        self.type = .azureAD
        self.azureAd = azureAd
    }

    public init(name: String, github: GitHub) {
        self.name = name
        self.type = .github
        self.github = github
    }

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        guard name != Self.reservedName else {
            throw Problem.invalidField(
                "name", "'\(Self.reservedName)' is reserved: routes use it for the tokens Gatehouse itself issues")
        }
        let present: [(ProviderType, Bool)] = [(.oidc, oidc != nil), (.azureAD, azureAd != nil), (.github, github != nil)]
        for (other, isPresent) in present where isPresent && other != type {
            throw Problem.invalidField(
                other.blockName,
                "'\(other.blockName)' is the block of type '\(other.rawValue)'; a provider of type '\(type.rawValue)' has only its '\(type.blockName)' block")
        }
        switch type {
        case .oidc:
            guard let oidc else {
                throw Problem.invalidField("oidc", "type 'oidc' needs an 'oidc' block with 'issuer' and 'clientId'")
            }
            try oidc.validate(field: "oidc")
        case .azureAD:
            guard let azureAd else {
                throw Problem.invalidField("azureAd", "type 'azure-ad' needs an 'azureAd' block with 'tenant' and 'clientId'")
            }
            try azureAd.validate(field: "azureAd")
        case .github:
            guard let github else {
                throw Problem.invalidField("github", "type 'github' needs a 'github' block with 'clientId' and 'clientSecret'")
            }
            try github.validate(field: "github")
        }
    }

    // MARK: - The client registration, whatever the type

    /// The OAuth client id of the active block.
    public var clientId: String? {
        switch type {
        case .oidc: oidc?.clientId
        case .azureAD: azureAd?.clientId
        case .github: github?.clientId
        }
    }

    /// The client secret as sent (input only): absent keeps the stored one, `""` removes it.
    public var clientSecret: String? {
        get {
            switch type {
            case .oidc: oidc?.clientSecret
            case .azureAD: azureAd?.clientSecret
            case .github: github?.clientSecret
            }
        }
        set {
            switch type {
            case .oidc: oidc?.clientSecret = newValue
            case .azureAD: azureAd?.clientSecret = newValue
            case .github: github?.clientSecret = newValue
            }
        }
    }

    /// Whether a client secret is stored (output only; ignored on input).
    public var clientSecretSet: Bool? {
        get {
            switch type {
            case .oidc: oidc?.clientSecretSet
            case .azureAD: azureAd?.clientSecretSet
            case .github: github?.clientSecretSet
            }
        }
        set {
            switch type {
            case .oidc: oidc?.clientSecretSet = newValue
            case .azureAD: azureAd?.clientSecretSet = newValue
            case .github: github?.clientSecretSet = newValue
            }
        }
    }

    public var carriesWriteOnlyValues: Bool {
        oidc?.clientSecret != nil || azureAd?.clientSecret != nil || github?.clientSecret != nil
    }

    /// The provider without its client secret, in every block. Where a secret was present,
    /// `clientSecretSet` says whether it was one (`""` removes a secret); otherwise it keeps
    /// what it said.
    public func redacted() -> IdentityProvider {
        var copy = self
        if let secret = clientSecret { copy.clientSecretSet = !secret.isEmpty }
        copy.oidc?.clientSecret = nil
        copy.azureAd?.clientSecret = nil
        copy.github?.clientSecret = nil
        return copy
    }

    /// Checks what the types share: client id and secret, audiences, scopes.
    static func validateClient(
        clientId: String, clientSecret: String?, audiences: [String]?, scopes: [String]?, field: String
    ) throws(Problem) {
        try FieldRules.text(clientId, field: "\(field).clientId", maxLength: maxClientIdLength)
        if let clientSecret {
            guard clientSecret.utf8.count <= maxClientSecretBytes else {
                throw Problem.invalidField(
                    "\(field).clientSecret", "\(field).clientSecret is at most \(maxClientSecretBytes) bytes")
            }
            guard !clientSecret.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw Problem.invalidField(
                    "\(field).clientSecret",
                    "\(field).clientSecret must not contain control characters (a trailing newline from a file?)")
            }
        }
        if let audiences {
            try FieldRules.texts(
                audiences, field: "\(field).audiences", maxLength: maxAudienceLength,
                emptyMeans: "leave it out to accept tokens issued for clientId; an empty list would accept none")
        }
        if let scopes {
            try FieldRules.scopes(
                scopes, field: "\(field).scopes", emptyMeans: "leave it out for \(defaultScopes.joined(separator: " "))")
            guard scopes.contains("openid") else {
                throw Problem.invalidField(
                    "\(field).scopes",
                    "\(field).scopes must include 'openid': without it the provider answers with plain OAuth 2.0 and no ID token")
            }
        }
    }
}

// MARK: - Claims

extension IdentityProvider {
    /// Which claims of a token say who the caller is. Values are claim (JSON member) names.
    public struct Claims: Codable, Sendable, Equatable {
        public var subject: String?
        public var email: String?
        public var groups: String?

        public init(subject: String? = nil, email: String? = nil, groups: String? = nil) {
            self.subject = subject
            self.email = email
            self.groups = groups
        }

        public var effectiveSubject: String { subject ?? "sub" }
        public var effectiveEmail: String { email ?? "email" }
        public var effectiveGroups: String { groups ?? "groups" }

        func validate(field: String) throws(Problem) {
            for (member, value) in [("subject", subject), ("email", email), ("groups", groups)] {
                if let value { try FieldRules.text(value, field: "\(field).\(member)", maxLength: maxClaimNameLength) }
            }
        }
    }

    /// Entra ID's claims: those of OIDC, plus the app roles assigned to the caller.
    public struct AzureClaims: Codable, Sendable, Equatable {
        public var subject: String?
        public var email: String?
        public var groups: String?
        public var roles: String?

        public init(subject: String? = nil, email: String? = nil, groups: String? = nil, roles: String? = nil) {
            self.subject = subject
            self.email = email
            self.groups = groups
            self.roles = roles
        }

        public var effectiveSubject: String { subject ?? "sub" }
        public var effectiveEmail: String { email ?? "email" }
        public var effectiveGroups: String { groups ?? "groups" }
        public var effectiveRoles: String { roles ?? "roles" }

        func validate(field: String) throws(Problem) {
            for (member, value) in [("subject", subject), ("email", email), ("groups", groups), ("roles", roles)] {
                if let value { try FieldRules.text(value, field: "\(field).\(member)", maxLength: maxClaimNameLength) }
            }
        }
    }
}
