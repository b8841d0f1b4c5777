import GatehouseIdentity

/// Checks bearer tokens that are not JWTs — GitHub's — by asking their provider, off the event
/// loop. The control plane implements it: it holds the providers' client secrets, which the
/// edge's snapshot never carries.
public protocol OpaqueTokenChecking: Sendable {
    /// Who holds `token` according to identity provider `provider` of `org`, if it admits them.
    func identity(ofToken token: String, org: String, provider: String) async -> Result<LoginIdentity, LoginError>
}

/// An org's provider whose tokens the edge checks with `OpaqueTokenChecking`.
struct OpaqueTokenProvider: Sendable {
    let name: String
    /// How long a checked token's holder is remembered per event loop (0: ask every time).
    let cacheSeconds: Int

    /// GitHub's token formats (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`): only
    /// these are sent to GitHub, so made-up strings cost no outbound call.
    static func looksLikeGitHubToken(_ token: String) -> Bool {
        let utf8 = token.utf8
        guard utf8.count >= 20, !utf8.contains(UInt8(ascii: ".")) else { return false }
        return token.hasPrefix("github_pat_")
            || (token.hasPrefix("gh") && utf8.count > 4 && Array(utf8.prefix(4))[3] == UInt8(ascii: "_"))
    }
}
