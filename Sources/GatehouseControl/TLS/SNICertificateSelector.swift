/// Picks the certificate pair for the server name a client sent (SNI).
///
/// An exact name wins over a wildcard; among equals the earlier pair wins. `*.example.com`
/// matches one label only (`api.example.com`, not `example.com` nor `a.b.example.com`), as
/// clients do when they check the certificate. No name or an unknown name gets pair 0.
struct SNICertificateSelector: Sendable {
    /// The names each pair serves, in the order of the pairs.
    var serverNames: [[String]]

    func pairIndex(forServerName serverName: String?) -> Int {
        guard var name = serverName?.lowercased(), !name.isEmpty else { return 0 }
        if name.hasSuffix(".") { name.removeLast() }
        if let exact = serverNames.firstIndex(where: { $0.contains(name) }) { return exact }
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return 0 }
        let wildcard = "*" + name[dot...]
        return serverNames.firstIndex(where: { $0.contains(wildcard) }) ?? 0
    }
}
