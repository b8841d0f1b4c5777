import Foundation
import NIOConcurrencyHelpers

@testable import GatehouseIdentity

/// Serves a JWKS from memory and counts how often it was asked.
final class MemoryKeySetFetcher: KeySetFetching {
    private struct State {
        var document: Data
        var maxAge: TimeInterval?
        var failure: KeySetFetchError?
        var fetchCount = 0
    }

    private let state: NIOLockedValueBox<State>
    /// How long a fetch takes, so concurrent callers really overlap.
    let delay: Duration

    init(keys: [[String: Any]], maxAge: TimeInterval? = nil, delay: Duration = .zero) {
        state = NIOLockedValueBox(State(document: JWS.jwks(keys), maxAge: maxAge))
        self.delay = delay
    }

    var fetchCount: Int { state.withLockedValue { $0.fetchCount } }

    func serve(keys: [[String: Any]], maxAge: TimeInterval? = nil) {
        let document = JWS.jwks(keys)
        state.withLockedValue {
            $0.document = document
            $0.maxAge = maxAge
            $0.failure = nil
        }
    }

    func serve(document: Data) {
        state.withLockedValue {
            $0.document = document
            $0.failure = nil
        }
    }

    func fail(with error: KeySetFetchError) {
        state.withLockedValue { $0.failure = error }
    }

    func fetchKeySet(for issuer: TrustedIssuer) async throws(KeySetFetchError) -> FetchedKeySet {
        let (document, maxAge, failure) = state.withLockedValue { state in
            state.fetchCount += 1
            return (state.document, state.maxAge, state.failure)
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        if let failure { throw failure }
        return FetchedKeySet(document: document, maxAge: maxAge)
    }
}

/// The issuer most tests trust, and claims that pass its checks at `Fixture.now`.
enum Fixture {
    static let issuer = "https://login.example.test"
    static let audience = "gatehouse-test"
    /// Whole seconds, close to the real clock (the issuer serves its JWKS as of the real time).
    static let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

    static func trusted(
        audiences: Set<String> = [audience], algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.defaultAllowed
    ) -> TrustedIssuer {
        try! TrustedIssuer(issuer: issuer, audiences: audiences, allowedAlgorithms: algorithms)
    }

    static func claims(_ overrides: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "iss": issuer, "sub": "user-1", "aud": audience,
            "iat": now.timeIntervalSince1970 - 10, "nbf": now.timeIntervalSince1970 - 10,
            "exp": now.timeIntervalSince1970 + 600,
        ]
        for (name, value) in overrides { claims[name] = value }
        return claims.filter { !($0.value is NSNull) }
    }

    /// A verifier trusting `issuer`, its key set loaded from `keys`.
    static func verifier(
        keys: [TestKey], trusted: TrustedIssuer = Fixture.trusted(), fetcher: MemoryKeySetFetcher? = nil
    ) async throws -> (TokenVerifier, MemoryKeySetFetcher) {
        let fetcher = fetcher ?? MemoryKeySetFetcher(keys: keys.map { $0.publicJWK() })
        let verifier = try TokenVerifier(issuers: [trusted], fetcher: fetcher)
        await verifier.refreshStaleKeySets(now: now)
        return (verifier, fetcher)
    }
}
