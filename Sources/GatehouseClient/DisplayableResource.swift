import Foundation
import GatehouseModel

/// A resource the CLI can print: its kind-specific table columns, and the form that is safe
/// to show.
public protocol DisplayableResource: Resource {
    /// The columns between NAME (and ORG) and REVISION/AGE: what tells one resource from another.
    static var detailColumns: [TableColumn<Self>] { get }

    /// The resource as it may be printed. Secrets drop their values, identity providers their
    /// client secret, here: whatever path a resource takes to the screen, they never get there.
    func redactedForDisplay() -> Self
}

extension DisplayableResource {
    public func redactedForDisplay() -> Self { self }
}

/// One column of a table: its header and how a row's cell reads.
public struct TableColumn<Row>: Sendable {
    public var header: String
    public var cell: @Sendable (Row) -> String

    public init(_ header: String, cell: @escaping @Sendable (Row) -> String) {
        self.header = header
        self.cell = cell
    }
}

extension Org: DisplayableResource {
    public static var detailColumns: [TableColumn<Org>] {
        [TableColumn("DISPLAY NAME") { $0.displayName ?? "" }]
    }
}

extension Function: DisplayableResource {
    public static var detailColumns: [TableColumn<Function>] {
        [
            TableColumn("RUNTIME") { $0.runtime.rawValue },
            // Where the edge sends its requests, whatever the runtime.
            TableColumn("URL") { function in
                if let http = function.http { return http.url }
                if let process = function.process { return "\(process.language.rawValue) \(process.handler)" }
                if function.runtime == .wasm { return function.wasm?.module ?? function.code?.filename ?? "" }
                if let openwhisk = function.openwhisk { return "\(openwhisk.apiHost) \(openwhisk.action)" }
                guard let endpoint = try? function.endpoint() else { return "" }
                let url = endpoint.upstream
                let port = url.port == (url.usesTLS ? 443 : 80) ? "" : ":\(url.port)"
                return "\(url.scheme)://\(url.host)\(port)\(url.basePath)" + (endpoint.host.map { " (Host: \($0))" } ?? "")
            },
            TableColumn("TIMEOUT") { TableCell.duration(milliseconds: $0.effectiveTimeoutMs) },
            // Whether it can be invoked: code runtimes wait for an upload and a build.
            TableColumn("STATUS") { ($0.status ?? $0.initialStatus).state.rawValue },
        ]
    }
}

extension Route: DisplayableResource {
    public static var detailColumns: [TableColumn<Route>] {
        [
            TableColumn("FUNCTION") { $0.function },
            TableColumn("PATHS") { TableCell.list($0.paths) },
            // An empty list means "all methods" / "the org's prefix", so say that.
            TableColumn("METHODS") { TableCell.list($0.methods ?? [], empty: "ALL") },
            TableColumn("HOSTS") { TableCell.list($0.hosts ?? [], empty: "(org prefix)") },
            TableColumn("AUTH") { TableCell.list($0.authMethods.map(\.rawValue)) },
        ]
    }
}

extension Secret: DisplayableResource {
    public static var detailColumns: [TableColumn<Secret>] {
        [TableColumn("KEYS") { TableCell.list($0.keys ?? $0.values?.keys.sorted() ?? []) }]
    }

    public func redactedForDisplay() -> Secret { redacted() }
}

extension IdentityProvider: DisplayableResource {
    public static var detailColumns: [TableColumn<IdentityProvider>] {
        [
            TableColumn("TYPE") { $0.type.rawValue },
            // Where tokens come from: the issuer (Entra ID's is derived), or GitHub's API.
            TableColumn("ISSUER") { provider in
                switch provider.type {
                case .oidc: provider.oidc?.issuer ?? ""
                case .azureAD: provider.azureAd?.authority ?? ""
                case .github: provider.github?.effectiveBaseUrl ?? ""
                }
            },
            TableColumn("CLIENT ID") { $0.clientId ?? "" },
            TableColumn("SECRET") { $0.redacted().clientSecretSet == true ? "set" : "-" },
        ]
    }

    /// The client secret never reaches the screen; `clientSecretSet` says whether there is one.
    public func redactedForDisplay() -> IdentityProvider { redacted() }
}

/// How cell values are written.
public enum TableCell {
    public static func list(_ items: [String], empty: String = "") -> String {
        items.isEmpty ? empty : items.joined(separator: ",")
    }

    /// `30s`, `1m30s`, `250ms`: the shortest exact form.
    public static func duration(milliseconds: Int) -> String {
        guard milliseconds % 1000 == 0 else { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        if seconds < 60 { return "\(seconds)s" }
        let minutes = seconds / 60, rest = seconds % 60
        return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
    }

    /// Age as kubectl shows it: the largest unit, `45s`, `12m`, `5h`, `3d`, `2y`.
    public static func age(since date: Date?, now: Date) -> String {
        guard let date else { return "" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86_400: return "\(seconds / 3600)h"
        case ..<(365 * 86_400): return "\(seconds / 86_400)d"
        default: return "\(seconds / (365 * 86_400))y"
        }
    }
}

extension ServiceAccount: DisplayableResource {
    public static var detailColumns: [TableColumn<ServiceAccount>] {
        [
            TableColumn("KEYS") { account in
                TableCell.list(account.publicKeys.map { $0.kind ?? "?" })
            },
            TableColumn("DESCRIPTION") { $0.description ?? "" },
        ]
    }
}

extension OrgAPIKey: DisplayableResource {
    public static var detailColumns: [TableColumn<OrgAPIKey>] {
        [
            TableColumn("KEY ID") { $0.keyId ?? "" },
            TableColumn("SCOPES") { TableCell.list($0.scopes ?? []) },
            TableColumn("EXPIRES") { apiKey in
                apiKey.expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never"
            },
            TableColumn("STATUS") { $0.isRevoked ? "revoked" : "active" },
        ]
    }

    /// Never the hash. The key is present only in the create response, the one time it is to
    /// be shown.
    public func redactedForDisplay() -> OrgAPIKey {
        var copy = self
        copy.keyHash = nil
        return copy
    }
}

extension Policy: DisplayableResource {
    public static var detailColumns: [TableColumn<Policy>] {
        [
            TableColumn("ROLES") { TableCell.list(($0.roles ?? []).map(\.name), empty: "-") },
            TableColumn("BINDINGS") { policy in
                TableCell.list((policy.bindings ?? []).map { "\($0.role)=\($0.subjects.joined(separator: "+"))" }, empty: "-")
            },
            // How many edge rules of each sort, so a table shows at a glance what limits exist.
            TableColumn("EDGE RULES") { policy in
                let counts = [
                    ("rate", policy.rateLimits?.count ?? 0), ("quota", policy.quotas?.count ?? 0),
                    ("request", policy.requestLimits?.count ?? 0),
                    ("ip", policy.ipRules?.count ?? 0), ("cors", policy.cors?.count ?? 0),
                ]
                return TableCell.list(counts.filter { $0.1 > 0 }.map { "\($0.0):\($0.1)" }, empty: "-")
            },
        ]
    }
}
