import Foundation
import GatehouseIdentity
import Hummingbird

/// Where a login without `return_to` lands (`ReturnURLPolicy.defaultTarget`): a page that says
/// who is signed in — subject, email, org, provider, groups, until when — and offers signing
/// out, here only or at the provider too. Until the console exists this is the browser's home.
///
///     GET /auth/signed-in   → 200 HTML, signed in or not (no session: says so, links nowhere)
enum SignedInPage {
    static let path = ReturnURLPolicy.defaultTarget

    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        router.get(RouterPath(path)) { request, _ in page(request, services: services) }
    }

    static func page(_ request: Request, services: AuthServices) -> Response {
        guard let cookie = request.sessionCookie,
            case .success(let session) = services.sessions.directory.session(forCookie: cookie, now: Date())
        else {
            return DevicePages.page(
                title: "Not signed in",
                body: "<h1>Not signed in</h1><p>This browser has no Gatehouse session.</p>")
        }
        let e = DevicePages.escape
        let who = session.name.map { "\(e($0)) (\(e(session.subject)))" } ?? e(session.subject)
        let email = session.email.map { "<dt>Email</dt><dd>\(e($0))</dd>" } ?? ""
        let groups = session.groups.isEmpty ? "none" : session.groups.sorted().map(e).joined(separator: ", ")
        let until = ISO8601DateFormatter().string(from: session.expiresAt)
        let back = FormEncoding.encode([("return_to", path)])
        return DevicePages.page(
            title: "Signed in",
            body: """
                <h1>Signed in as \(who)</h1>
                <dl><dt>Org</dt><dd>\(e(session.org))</dd><dt>Identity provider</dt><dd>\(e(session.provider))</dd>
                \(email)<dt>Groups</dt><dd>\(groups)</dd><dt>Session until</dt><dd>\(until)</dd></dl>
                <form method="post" action="/auth/logout?\(back)"><button>Sign out</button></form>
                <form method="post" action="/auth/logout?\(back)&amp;\(SessionRoutes.providerLogoutParameter)=true">
                <button>Sign out here and at \(e(session.provider))</button></form>
                """,
            // Signing out at the provider redirects there, which form-action governs too.
            formAction: "'self' https: http:")
    }
}
