import Foundation
import GatehouseIdentity
import GatehouseModel
import Hummingbird
import Logging
import ServiceLifecycle

/// `GET /v1/signing-keys` and `POST /v1/signing-keys/rotate`: the keys Gatehouse signs its
/// tokens with, and rotating them by hand (they also rotate by age, see `SigningKeyRotation`).
/// Platform-wide: only the platform admin reaches `/v1` outside an org.
enum SigningKeyRoutes {
    static func register<Context: RequestContext>(on router: Router<Context>, issuer slot: IssuerSlot) {
        router.get("/v1/signing-keys") { _, _ in
            try JSONResponse.make(.ok, SigningKeyList(items: try issuer(slot).signingKeys()))
        }
        router.post("/v1/signing-keys/rotate") { _, _ in
            let issuer = try issuer(slot)
            do {
                try issuer.rotate()
            } catch {
                throw Problem.internalError("the new signing key could not be stored: \(error)")
            }
            return try JSONResponse.make(.created, SigningKeyList(items: issuer.signingKeys()))
        }
    }

    private static func issuer(_ slot: IssuerSlot) throws -> TokenIssuer {
        guard let issuer = slot.current else { throw Problem.unavailable("the token issuer is starting") }
        return issuer
    }
}

/// Rotates Gatehouse's signing key once it is `maximumAge` old, checking every `interval`. A
/// rotated-out key stays published until every token it signed has expired, so nothing in
/// flight breaks.
struct SigningKeyRotation: Service {
    static let maximumAge: TimeInterval = 30 * 24 * 3600
    static let interval: Duration = .seconds(3600)

    let slot: IssuerSlot
    let logger: Logger

    func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let issuer = slot.current {
                do {
                    if let keyID = try issuer.rotateIfOlder(than: Self.maximumAge) {
                        logger.notice("signing key rotated by age", metadata: ["kid": "\(keyID)"])
                    }
                } catch {
                    logger.error("signing key rotation failed", metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }
}
