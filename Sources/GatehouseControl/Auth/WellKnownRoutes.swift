import Foundation
import GatehouseIdentity
import GatehouseModel
import Hummingbird
import NIOConcurrencyHelpers

/// Gatehouse's issuer once the control listener knows its own URL: with port 0 the port, and
/// so the issuer (`https://host:port`), exists only after binding. Until then the documents
/// answer 503.
final class IssuerSlot: Sendable {
    private let issuer = NIOLockedValueBox<TokenIssuer?>(nil)

    var current: TokenIssuer? { issuer.withLockedValue { $0 } }
    func install(_ tokenIssuer: TokenIssuer) { issuer.withLockedValue { $0 = tokenIssuer } }
}

/// The public, unauthenticated documents relying parties need to trust Gatehouse's tokens:
/// OIDC discovery and the JWKS (RFC 8414 / OpenID Connect Discovery 1.0, RFC 7517).
enum WellKnownRoutes {
    /// Relying parties re-fetch on an unknown `kid`, so a short lifetime only bounds how long a
    /// retired key lingers in their caches.
    static let cacheControl = "public, max-age=300"

    static func register<Context: RequestContext>(on router: Router<Context>, issuer slot: IssuerSlot) {
        router.get("/.well-known/openid-configuration") { _, _ in
            try document(slot) { $0.discoveryDocument() }
        }
        router.get("/.well-known/jwks.json") { _, _ in
            try document(slot) { $0.jwksDocument(now: Date()) }
        }
    }

    private static func document(_ slot: IssuerSlot, _ body: (TokenIssuer) -> Data) throws -> Response {
        guard let issuer = slot.current else {
            throw Problem.unavailable("the token issuer is starting")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: cacheControl],
            body: .init(byteBuffer: ByteBuffer(bytes: body(issuer))))
    }
}
