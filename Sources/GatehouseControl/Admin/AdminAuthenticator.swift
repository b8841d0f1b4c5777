import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import NIOConcurrencyHelpers

/// Who is calling the admin API, from its bearer credential:
///
/// - the platform admin token (`principal` `platform-admin`, every org);
/// - an access token Gatehouse issued (`kind` `user` or `service-account`), verified against
///   Gatehouse's own keys only, with `aud` = its issuer URL;
/// - one of an org's API keys (`gak_...`), looked up in the store: revoked and expired keys are
///   refused.
///
/// Every refusal is a `ChallengedProblem` (401 `invalid_token`); what a principal may reach is
/// `AdminAccess`'s business.
final class AdminAuthenticator: Sendable {
    private let adminToken: AdminTokenVerifier
    private let store: any Store
    private let issuer: IssuerSlot
    /// Where tokens minted from a login session (`sid`) find it still live.
    private let sessions: SessionDirectory?
    private let keyOrgs: APIKeyOrgIndex
    /// Built on first use, once the issuer runs; rebuilt if another issuer is installed.
    private let tokens = NIOLockedValueBox<(issuer: ObjectIdentifier, verifier: TokenVerifier)?>(nil)

    init(adminToken: AdminTokenVerifier, store: any Store, issuer: IssuerSlot, sessions: SessionDirectory?) {
        self.sessions = sessions
        self.adminToken = adminToken
        self.store = store
        self.issuer = issuer
        self.keyOrgs = APIKeyOrgIndex(store: store)
    }

    /// `pathOrg`: the org the request's path names, where API keys are looked up first.
    func principal(forBearer bearer: String, pathOrg: String?, now: Date = Date()) async throws -> Principal {
        if let admin = adminToken.principal(forBearer: bearer) { return admin }
        if bearer.hasPrefix(APIKey.prefix) { return try await apiKeyPrincipal(bearer, org: pathOrg, now: now) }
        return try await tokenPrincipal(bearer, now: now)
    }

    private func tokenPrincipal(_ bearer: String, now: Date) async throws -> Principal {
        // Not JWT-shaped: most likely a mistyped admin token or API key, which are not JWTs, so
        // "not three base64url segments" would only mislead.
        guard bearer.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw ChallengedProblem.invalidToken(
                "the bearer token is not valid: it is not the platform admin token, an API key of this org, or a token Gatehouse issued")
        }
        guard let verifier = try verifier() else { throw ChallengedProblem.invalidToken("the token issuer is starting") }
        switch await verifier.verify(bearer, now: now) {
        case .failure(let error):
            throw ChallengedProblem.invalidToken("the bearer token is not valid: \(error.description)")
        case .success(let token):
            switch GatehouseTokenPrincipal.principal(of: token, sessions: sessions, now: now) {
            case .failure(let refusal): throw ChallengedProblem.invalidToken("the bearer token is not valid: \(refusal)")
            case .success(let principal): return principal
            }
        }
    }

    private func verifier() throws -> TokenVerifier? {
        guard let current = issuer.current else { return nil }
        let id = ObjectIdentifier(current)
        return try tokens.withLockedValue { cached in
            if let cached, cached.issuer == id { return cached.verifier }
            let verifier = try GatehouseTokenPrincipal.verifier(for: current)
            cached = (id, verifier)
            return verifier
        }
    }

    /// The key is looked up in the path's org; a key of another org (or a path naming none, such
    /// as `/v1/orgs`) is found through `APIKeyOrgIndex`.
    private func apiKeyPrincipal(_ bearer: String, org pathOrg: String?, now: Date) async throws -> Principal {
        guard let key = APIKey.parse(bearer) else { throw ChallengedProblem.invalidToken(APIKeyError.malformed.description) }
        var entries = try await entries(for: key, org: pathOrg)
        if entries.isEmpty, let org = try await keyOrgs.org(ofKeyID: key.id), org != pathOrg {
            entries = try await self.entries(for: key, org: org)
        }
        switch APIKeyVerifier(entries: entries).principal(forPresented: bearer, now: now) {
        case .failure(let error): throw ChallengedProblem.invalidToken(error.description)
        case .success(let principal): return principal
        }
    }

    /// Only the key with this id becomes an entry: no other key's hash is ever compared.
    private func entries(for key: APIKey, org: String?) async throws -> [String: APIKeyVerifier.Entry] {
        guard let org else { return [:] }
        return try await store.read { reader in
            var entries: [String: APIKeyVerifier.Entry] = [:]
            for candidate in try reader.resources(OrgAPIKey.self, org: org, after: nil, limit: nil) where candidate.keyId == key.id {
                entries[key.id] = APIKeyVerifier.Entry(candidate, org: org)
            }
            return entries
        }
    }
}
