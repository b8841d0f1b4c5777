import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// What the `/auth/...` routes share.
struct AuthServices: Sendable {
    var store: any Store
    var providers: LoginProviders
    var pending: PendingLogins
    var sessions: SessionStore
    var returnPolicy: ReturnURLPolicy
    var issuer: IssuerSlot
    /// Service-account assertions' `jti`s, accepted once each (RFC 7523 §3).
    var assertionReplays = AssertionReplayCache()
    /// Device logins (RFC 8628) between the device's request and its last poll.
    var devices = DeviceAuthorizations()
    var logger: Logger

    /// Refresh tokens, durable next to the sessions.
    var refreshTokens: RefreshTokens { RefreshTokens(records: sessions.records) }

    /// The issuer, whose URL is also the base of every redirect URI; 503 until the control
    /// listener is bound.
    func currentIssuer() throws -> TokenIssuer {
        guard let issuer = issuer.current else { throw Problem.unavailable("the token issuer is starting") }
        return issuer
    }
}

/// The short-lived cookie that ties a login's callback to the browser that started it, so a
/// callback URL lured out of one browser (login CSRF) does nothing in another.
enum LoginBindingCookie {
    static let name = "__Host-gatehouse-login"

    static func setCookie(_ value: String, maxAge: TimeInterval) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(Int(maxAge)); Secure; HttpOnly; SameSite=Lax"
    }

    static var expired: String { "\(name)=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax" }

    /// The browser's binding value, if it sent one that Gatehouse could have made.
    static func value(in request: Request) -> String? {
        guard let header = request.headers[.cookie],
            let value = SessionCookie.value(named: name, inCookieHeader: header),
            value.utf8.count == 43, value.utf8.allSatisfy({ isBase64URL($0) })
        else { return nil }
        return value
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D
            || byte == 0x5F
    }
}

extension Request {
    /// The session cookie's value, if the request carries one.
    var sessionCookie: String? {
        headers[.cookie].flatMap { SessionCookie.value(inCookieHeader: $0) }
    }
}

extension HTTPFields {
    mutating func appendCookie(_ value: String) {
        append(HTTPField(name: .setCookie, value: value))
    }
}
