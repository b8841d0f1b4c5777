import Foundation

/// The browser's reference to a session: `__Host-gatehouse-session`.
///
/// The `__Host-` prefix makes browsers insist on `Secure`, `Path=/` and no `Domain`, so no
/// sibling sub-domain can set or shadow it. The value is sealed (AES-256-GCM under a key
/// derived from the master key) and small — session id, org, expiry, ~150 bytes — whatever the
/// size of the user's group list, which stays server-side.
public enum SessionCookie {
    public static let name = "__Host-gatehouse-session"
    /// Far above a sealed value (~150 bytes), far below the 4 KiB browsers keep per cookie.
    static let maximumValueLength = 512

    /// `Set-Cookie` for a new session, living as long as the session.
    public static func setCookie(value: String, maxAge: TimeInterval) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(Int(maxAge.rounded(.down))); Secure; HttpOnly; SameSite=Lax"
    }

    /// `Set-Cookie` that makes the browser forget the session.
    public static var expiredCookie: String {
        "\(name)=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax"
    }

    /// The first value of cookie `cookieName` in a `Cookie` header (RFC 6265 §4.2), or nil.
    public static func value(named cookieName: String = name, inCookieHeader header: String) -> String? {
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop(while: { $0 == " " })
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            if trimmed[..<equals] == cookieName[...] { return String(trimmed[trimmed.index(after: equals)...]) }
        }
        return nil
    }
}

/// What the cookie says once opened.
struct SessionCookieContent: Codable, Equatable {
    /// The session id: 32 random bytes, base64url. Only its hash is stored server-side.
    var s: String
    var o: String
    /// Expiry, seconds since 1970: a stolen-and-kept cookie dies even if the session record
    /// somehow outlived it.
    var e: Int64
}

/// Seals and opens cookie values. The purpose is authenticated data, so nothing else Gatehouse
/// seals (signing keys) opens as a cookie, or the reverse.
struct SessionCookieSealer: Sendable {
    static let purpose = "session-cookie"
    private let sealer: KeyFileSealer

    init(key: some ContiguousBytes) throws(TokenIssuerError) {
        sealer = try KeyFileSealer(masterKey: key)
    }

    func seal(_ content: SessionCookieContent) -> String {
        // Encoding three scalars and sealing with a valid key cannot fail.
        let plaintext = (try? JSONEncoder().encode(content)) ?? Data()
        return (try? sealer.seal(plaintext, purpose: Self.purpose)).map(Base64URL.encode) ?? ""
    }

    func open(_ value: String) -> SessionCookieContent? {
        guard value.utf8.count <= SessionCookie.maximumValueLength, let bytes = Base64URL.decode(value),
            let plaintext = try? sealer.open(Data(bytes), purpose: Self.purpose)
        else { return nil }
        return try? JSONDecoder().decode(SessionCookieContent.self, from: plaintext)
    }
}
