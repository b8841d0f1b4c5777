import ArgumentParser
import Foundation
import GatehouseClient

/// `gatehouse login`: signs a person in to an org with the device authorization grant and keeps
/// the tokens in the config file, for the admin commands to use.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Sign in to an org through its identity provider, in a browser.",
        discussion: """
            Prints a URL and a code; open the URL in any browser, sign in, and this command stores \
            an access token and a refresh token in the config file (mode 0600), replacing any \
            earlier login. Admin commands then use them when no --token or $GATEHOUSE_TOKEN is \
            given, refreshing the access token when it expires. `gatehouse logout` ends the login.
            """)

    @Option(help: "The org to sign in to.")
    var org: String

    @Option(help: "The org's identity provider to sign in with (needed when it has several).")
    var provider: String?

    @OptionGroup(title: "Connection") var connection: ConnectionOptions

    func run() async throws {
        let (resolver, settings) = try connection.resolve()
        let oauth = try OAuthClient(server: settings.server, caCertificatePath: settings.caCertificatePath, insecure: connection.insecure, timeouts: settings.timeouts)
        let login = try await withResource(oauth, shutdown: oauth.shutdown) { oauth in
            let code = try await oauth.deviceCode(org: org, provider: provider)
            Console.error(Self.instructions(for: code, org: org))
            return try await DeviceLogin(oauth: oauth).waitForApproval(
                of: code, org: org, provider: provider, cacert: settings.caCertificatePath)
        }
        let store = resolver.configStore
        let file = try await store.update { file in
            file.login = login
            return file
        }
        Console.error("Signed in to org '\(org)' at \(settings.server.absoluteString); the tokens are in \(store.path).")
        Console.error(Self.carried(by: login.accessToken))
        if file.token != nil {
            Console.error("note: the config file's `token` takes precedence over this login; remove it to use the login.")
        }
    }

    /// Who the login says the user is and which groups it carried (read from the access token
    /// Gatehouse just issued, for display only): a provider that sends no groups without its
    /// `groups` scope is spotted here rather than at a route's group requirement.
    static func carried(by accessToken: String) -> String {
        let segments = accessToken.split(separator: ".")
        guard segments.count == 3, let claims = decodedPayload(String(segments[1])) else { return "" }
        let subject = claims["sub"] as? String ?? "?"
        let email = (claims["email"] as? String).map { " (\($0))" } ?? ""
        let groups = (claims["groups"] as? [String]) ?? []
        guard !groups.isEmpty else {
            return "As \(subject)\(email), in no groups: the provider sent none (some send groups only with a 'groups' scope; see the README's identity providers)."
        }
        return "As \(subject)\(email), in groups: \(groups.joined(separator: ", "))."
    }

    private static func decodedPayload(_ segment: String) -> [String: Any]? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func instructions(for code: DeviceCode, org: String) -> String {
        var lines = ["To sign in to org '\(org)', open this URL in a browser:", ""]
        lines.append("    \(code.verificationURIComplete ?? code.verificationURI)")
        lines.append("")
        lines.append("or open \(code.verificationURI) and enter the code \(code.userCode)")
        let minutes = max(code.expiresIn / 60, 1)
        lines.append("Waiting for the sign-in (the code expires in \(minutes) minute\(minutes == 1 ? "" : "s"))...")
        return lines.joined(separator: "\n")
    }
}

/// `gatehouse logout`: revokes the stored login's refresh token and forgets its tokens.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout", abstract: "End the stored login: revoke its refresh token and remove its tokens.",
        discussion: """
            The revocation is best effort: the tokens are removed from the config file even when \
            the server cannot be reached (the access token then lives out its few minutes).
            """)

    @OptionGroup(title: "Connection") var connection: ConnectionOptions

    func run() async throws {
        let (resolver, settings) = try connection.resolve()
        // Under the config file's lock, so a refresh in another process cannot rotate the
        // tokens between the revocation and their removal.
        let login = try await resolver.configStore.update { file -> StoredLogin? in
            guard let login = file.login else { return nil }
            if connection.server != nil, !login.isFor(server: settings.server) {
                throw CommandError("the stored login is for \(login.server), not \(settings.server.absoluteString)")
            }
            await revoke(login, settings: settings)
            file.login = nil
            return login
        }
        guard let login else {
            Console.error("Not signed in.")
            return
        }
        Console.error("Signed out of org '\(login.org)' at \(login.server).")
    }

    /// Best effort: a failure is reported and the tokens are removed all the same.
    private func revoke(_ login: StoredLogin, settings: ClientSettings) async {
        do {
            let oauth = try OAuthClient(
                server: URL(string: login.server) ?? settings.server,
                caCertificatePath: connection.caCertificate ?? login.cacert ?? settings.caCertificatePath,
                insecure: connection.insecure)
            try await withResource(oauth, shutdown: oauth.shutdown) { try await $0.revoke(login.refreshToken) }
        } catch {
            Console.error("warning: could not revoke the login at \(login.server): \(ErrorReport.message(for: error) ?? "\(error)")")
        }
    }
}
