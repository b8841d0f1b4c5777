import Foundation

/// A URL Gatehouse itself calls to authenticate callers: an issuer, an identity provider's API.
///
/// These URLs carry credentials (client secrets, users' tokens) and decide whose tokens are
/// trusted, so they must be https. Plain http is allowed only for loopback hosts, where nothing
/// crosses a network: a provider under development, or the local stand-ins of the tests.
public enum ProviderURL {
    public static let maxLength = 1024
    public static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]

    /// Checks `string`: an absolute https URL with a host (http only for loopback hosts), no user
    /// info, query or fragment, at most `maxLength` characters.
    public static func validate(_ string: String, field: String) throws(Problem) {
        guard (1...maxLength).contains(string.utf8.count) else {
            throw Problem.invalidField(field, "\(field) must be a URL of 1-\(maxLength) characters")
        }
        guard let components = URLComponents(string: string),
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let rawHost = components.host, !rawHost.isEmpty,
            !string.unicodeScalars.contains(where: { $0.properties.isWhitespace })
        else {
            throw Problem.invalidField(field, "\(field) must be an absolute https:// URL with a host")
        }
        guard components.user == nil, components.password == nil else {
            throw Problem.invalidField(field, "\(field) must not carry user info (credentials belong in clientSecret)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw Problem.invalidField(field, "\(field) must not carry a query or a fragment")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw Problem.invalidField(field, "\(field) has an invalid port")
        }
        let host = rawHost.hasPrefix("[") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if scheme == "http", !loopbackHosts.contains(host.lowercased()) {
            throw Problem.invalidField(
                field,
                "\(field) must use https; plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost), for development and tests")
        }
    }

    /// `url` without trailing slashes, for composing paths under it.
    public static func trimmed(_ url: String) -> String {
        var url = Substring(url)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }
}
