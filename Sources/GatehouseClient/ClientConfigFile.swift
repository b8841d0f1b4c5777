import Foundation
import Yams

/// The CLI's config file (`~/.config/gatehouse/config.yaml`): `server`, `token`, `cacert`,
/// `connectTimeout` and `requestTimeout` (seconds), written by people; `org`, written by
/// `gatehouse config use-org`; `contexts` (named servers, each with its `server`, `token`,
/// `cacert` and `org`) and `context`, the one in use, written by `gatehouse config set-context`
/// and `use-context`; and `login`, written by `gatehouse login` and removed by `gatehouse logout`.
/// A key it does not know is an error rather than silently ignored, so a typo (`sever:`) does not
/// send requests elsewhere.
public struct ClientConfigFile: Sendable, Equatable {
    public var server: String?
    public var token: String?
    public var cacert: String?
    public var org: String?
    public var connectTimeout: String?
    public var requestTimeout: String?
    public var login: StoredLogin?
    /// Named servers; the one named by `context` (or `GATEHOUSE_CONTEXT`) stands in for the
    /// file's own `server`, `token`, `cacert` and `org`.
    public var contexts: [String: ClientContext] = [:]
    public var context: String?

    public init(
        server: String? = nil, token: String? = nil, cacert: String? = nil, org: String? = nil,
        connectTimeout: String? = nil, requestTimeout: String? = nil, login: StoredLogin? = nil
    ) {
        self.server = server
        self.token = token
        self.cacert = cacert
        self.org = org
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.login = login
    }

    /// The settings people write, in the file's order.
    private var plainSettings: [(String, String?)] {
        [("server", server), ("token", token), ("cacert", cacert), ("org", org),
         ("connectTimeout", connectTimeout), ("requestTimeout", requestTimeout)]
    }

    static let keys = ["server", "token", "cacert", "org", "connectTimeout", "requestTimeout", "context", "contexts", "login"]

    /// The file as a context makes it: the context's settings in place of the file's own.
    func applying(context name: String?) throws(ClientSettingsError) -> ClientConfigFile {
        guard let name else { return self }
        guard let chosen = contexts[name] else {
            let known = contexts.keys.sorted().joined(separator: ", ")
            throw ClientSettingsError.unknownContext(name, known: known.isEmpty ? "none" : known)
        }
        var file = self
        file.server = chosen.server
        file.token = chosen.token
        file.cacert = chosen.cacert
        file.org = chosen.org ?? org
        return file
    }

    /// Reads the YAML text of a config file; `path` only names it in errors.
    static func parse(_ text: String, path: String) throws(ClientSettingsError) -> ClientConfigFile {
        func invalid(_ reason: String) -> ClientSettingsError { .invalidConfigFile(path: path, reason: reason) }
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw invalid("not valid YAML: \(error)")
        }
        guard let node, YAMLConversion.resolvedTag(of: node) != .null else { return ClientConfigFile() }
        let top = try StrictMapping(node, known: keys, what: "the file", path: path)
        var file = ClientConfigFile(
            server: try top.string("server"), token: try top.string("token"), cacert: try top.string("cacert"),
            org: try top.string("org"), connectTimeout: try top.string("connectTimeout"),
            requestTimeout: try top.string("requestTimeout"))
        file.context = try top.string("context")
        if let contexts = top.node("contexts"), YAMLConversion.resolvedTag(of: contexts) != .null {
            guard case .mapping(let mapping) = contexts else { throw invalid("'contexts' must be a mapping of names to settings") }
            for (key, value) in mapping {
                let name = key.string ?? ""
                let fields = try StrictMapping(value, known: ClientContext.keys, what: "context '\(name)'", path: path)
                file.contexts[name] = ClientContext(
                    server: try fields.string("server"), token: try fields.string("token"),
                    cacert: try fields.string("cacert"), org: try fields.string("org"))
            }
        }
        if let login = top.node("login"), YAMLConversion.resolvedTag(of: login) != .null {
            file.login = try StoredLogin(fields: StrictMapping(login, known: StoredLogin.keys, what: "'login'", path: path))
        }
        return file
    }

    /// The file's YAML text, keys in a fixed order; empty settings are left out.
    func yaml() throws -> String {
        var pairs: [(Node, Node)] = []
        for (key, value) in plainSettings + [("context", context)] {
            if let value { pairs.append((Node(key), Node(value))) }
        }
        if !contexts.isEmpty {
            let named = contexts.sorted { $0.key < $1.key }.map { (Node($0.key), $0.value.node()) }
            pairs.append((Node("contexts"), .mapping(Node.Mapping(named))))
        }
        if let login { pairs.append((Node("login"), login.node())) }
        guard !pairs.isEmpty else { return "" }
        return try Yams.serialize(node: .mapping(Node.Mapping(pairs)))
    }
}

/// One named server of the config file (`gatehouse config set-context`).
public struct ClientContext: Sendable, Equatable {
    public var server: String?
    public var token: String?
    public var cacert: String?
    public var org: String?

    public init(server: String? = nil, token: String? = nil, cacert: String? = nil, org: String? = nil) {
        self.server = server
        self.token = token
        self.cacert = cacert
        self.org = org
    }

    static let keys = ["server", "token", "cacert", "org"]

    fileprivate func node() -> Node {
        let values = [("server", server), ("token", token), ("cacert", cacert), ("org", org)]
        return .mapping(Node.Mapping(values.compactMap { key, value in value.map { (Node(key), Node($0)) } }))
    }
}

/// A `gatehouse login`: the server and org it signed in to, and the tokens it got. The tokens
/// never appear in descriptions, errors or logs.
public struct StoredLogin: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var server: String
    public var org: String
    public var provider: String?
    /// The CA certificate the login trusted, used again for its server unless another is given.
    public var cacert: String?
    public var accessToken: String
    public var accessTokenExpiresAt: Date
    public var refreshToken: String

    public init(
        server: String, org: String, provider: String? = nil, cacert: String? = nil,
        accessToken: String, accessTokenExpiresAt: Date, refreshToken: String
    ) {
        self.server = server
        self.org = org
        self.provider = provider
        self.cacert = cacert
        self.accessToken = accessToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshToken = refreshToken
    }

    public var description: String { "the login to org '\(org)' at \(server)" }
    public var debugDescription: String { description }

    /// Whether this login was made against `url` (trailing slashes aside).
    public func isFor(server url: URL) -> Bool {
        Self.normalized(server) == Self.normalized(url.absoluteString)
    }

    private static func normalized(_ server: String) -> String {
        var text = server.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static let keys = ["server", "org", "provider", "cacert", "accessToken", "accessTokenExpiresAt", "refreshToken"]
    private static let requiredKeys = ["server", "org", "accessToken", "accessTokenExpiresAt", "refreshToken"]

    fileprivate init(fields: StrictMapping) throws(ClientSettingsError) {
        for key in Self.requiredKeys where fields.node(key) == nil {
            throw fields.invalid("'login' lacks '\(key)' (run `gatehouse login` again)")
        }
        let expiry = try fields.string("accessTokenExpiresAt") ?? ""
        guard let expiresAt = ISO8601DateFormatter().date(from: expiry) else {
            throw fields.invalid("'login.accessTokenExpiresAt' must be an ISO 8601 time")
        }
        self.init(
            server: try fields.string("server") ?? "", org: try fields.string("org") ?? "",
            provider: try fields.string("provider"), cacert: try fields.string("cacert"),
            accessToken: try fields.string("accessToken") ?? "", accessTokenExpiresAt: expiresAt,
            refreshToken: try fields.string("refreshToken") ?? "")
    }

    fileprivate func node() -> Node {
        let values: [(String, String?)] = [
            ("server", server), ("org", org), ("provider", provider), ("cacert", cacert), ("accessToken", accessToken),
            ("accessTokenExpiresAt", ISO8601DateFormatter().string(from: accessTokenExpiresAt)),
            ("refreshToken", refreshToken),
        ]
        return .mapping(Node.Mapping(values.compactMap { key, value in value.map { (Node(key), Node($0)) } }))
    }
}

/// A YAML mapping whose keys must all be known and whose values are strings (or, for nested
/// blocks, mappings read separately).
private struct StrictMapping {
    private var members: [String: Node] = [:]
    let path: String

    init(_ node: Node, known: [String], what: String, path: String) throws(ClientSettingsError) {
        self.path = path
        guard case .mapping(let mapping) = node else {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: "\(what) must be a mapping of \(known.joined(separator: ", "))")
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard known.contains(name) else {
                throw ClientSettingsError.invalidConfigFile(
                    path: path, reason: "unknown key '\(name)' in \(what) (known: \(known.sorted().joined(separator: ", ")))")
            }
            members[name] = value
        }
    }

    func invalid(_ reason: String) -> ClientSettingsError { .invalidConfigFile(path: path, reason: reason) }

    func node(_ key: String) -> Node? { members[key] }

    /// The key's string; nil when absent or empty.
    func string(_ key: String) throws(ClientSettingsError) -> String? {
        guard let value = members[key] else { return nil }
        guard case .scalar(let scalar) = value else { throw invalid("'\(key)' must be a string") }
        return scalar.string.isEmpty ? nil : scalar.string
    }
}
