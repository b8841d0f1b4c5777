import Foundation

/// An org's service account: a workload that authenticates with a key pair instead of a person's
/// login. It signs an RFC 7523 JWT assertion (`iss` = `sub` = `{org}/{name}`, `aud` = Gatehouse's
/// token endpoint, `exp` at most an hour ahead) with one of its registered private keys and
/// exchanges it at `/auth/token` for a Gatehouse token.
///
/// Public keys are not secret, so responses keep each key's PEM (a document read with GET can be
/// PUT back) and add what the server derived from it: `kind` and `fingerprint`. Those two are
/// server-managed: accepted on input and ignored. The PEM itself is parsed by the control plane
/// (this module does not depend on the identity module); here only its size is bounded.
public struct ServiceAccount: OrgScopedResource {
    public static let kind = ResourceKind.serviceAccount
    public static let maxDescriptionLength = 1024
    public static let maxPublicKeys = 8
    /// As `RegisteredPublicKey.maximumPEMBytes`: a 4096-bit RSA key's PEM is well under this.
    public static let maxPEMBytes = 16 * 1024

    public var name: String
    public var description: String?
    public var publicKeys: [PublicKey]
    public var org: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    /// One registered public key.
    public struct PublicKey: Codable, Sendable, Equatable {
        /// The SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
        public var pem: String
        /// Output only: `ec-p256`, `rsa-2048` (and other sizes), `ed25519`.
        public var kind: String?
        /// Output only: base64url of the SHA-256 of the key's SubjectPublicKeyInfo (DER).
        public var fingerprint: String?

        public init(pem: String, kind: String? = nil, fingerprint: String? = nil) {
            self.pem = pem
            self.kind = kind
            self.fingerprint = fingerprint
        }
    }

    public init(name: String, description: String? = nil, publicKeys: [PublicKey]) {
        self.name = name
        self.description = description
        self.publicKeys = publicKeys
    }

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        if let description {
            try FieldRules.text(description, field: "description", maxLength: Self.maxDescriptionLength)
        }
        guard (1...Self.maxPublicKeys).contains(publicKeys.count) else {
            throw Problem.invalidField(
                "publicKeys", "a service account has 1-\(Self.maxPublicKeys) public keys (several while rotating)")
        }
        for (index, key) in publicKeys.enumerated() {
            let field = "publicKeys[\(index)].pem"
            guard !key.pem.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw Problem.invalidField(field, "\(field) must hold a PEM public key (-----BEGIN PUBLIC KEY-----)")
            }
            guard key.pem.utf8.count <= Self.maxPEMBytes else {
                throw Problem.invalidField(field, "\(field) is at most \(Self.maxPEMBytes) bytes")
            }
        }
    }

    /// The subject and issuer of the account's assertions: `{org}/{name}`.
    public func subject(org: String) -> String { "\(org)/\(name)" }
}
