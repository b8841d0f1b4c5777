import AsyncHTTPClient
import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import NIOConcurrencyHelpers

/// The `LoginProvider` of each org's identity provider, built from the stored document (with
/// its client secret unsealed) and reused while the document's revision is unchanged, so
/// discovery and the provider's keys are fetched once, not per login.
final class LoginProviders: Sendable {
    private let store: any Store
    private let sealer: SecretSealer
    private let client: HTTPClient
    /// Signs `private_key_jwt` client assertions with Gatehouse's current key.
    private let issuer: IssuerSlot
    private let built = NIOLockedValueBox<[ResourceKey: (revision: Int64, provider: any LoginProvider)]>([:])

    init(store: any Store, sealer: SecretSealer, client: HTTPClient, issuer: IssuerSlot) {
        self.issuer = issuer
        self.store = store
        self.sealer = sealer
        self.client = client
    }

    /// The login of identity provider `name` in `org`; a 404 problem when there is none.
    func provider(org: String, name: String) async throws -> any LoginProvider {
        let key = ResourceKey(kind: .identityProvider, org: org, name: name)
        guard ResourceName.isValid(org), ResourceName.isValid(name),
            let document = try await store.read({ try $0.document(key) })
        else {
            throw Problem.notFound("identity provider '\(name.prefix(63))' does not exist in org '\(org.prefix(63))'")
        }
        if let cached = built.withLockedValue({ $0[key] }), cached.revision == document.revision { return cached.provider }
        let stored = try document.decoded(as: IdentityProvider.self)
        let secret = try document.sealed.map {
            try sealer.open($0, org: org, name: name, kind: .identityProvider)[IdentityProviderRules.sealedKey]
        } ?? nil
        let provider: any LoginProvider
        do throws(LoginError) {
            provider = try LoginProviderFactory.make(stored, clientSecret: secret, client: client, assertionSigner: issuer)
        } catch {
            throw Problem.badGateway(error.description)
        }
        built.withLockedValue { $0[key] = (document.revision, provider) }
        return provider
    }
}

/// The issuer as it runs at signing time: a provider built before the issuer started still signs
/// with the current key once it has.
extension IssuerSlot: ClientAssertionSigning {
    func clientAssertion(clientID: String, audience: String, now: Date) throws(TokenIssuerError) -> String {
        guard let current else { throw .signingFailed }
        return try current.clientAssertion(clientID: clientID, audience: audience, now: now)
    }
}
