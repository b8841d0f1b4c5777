import Foundation
import Hummingbird
import HTTPTypes

/// The two small HTML pages of the device login (RFC 8628 §3.3): the form where a person types
/// the code their device shows, and the page after signing in. No script, no external resources,
/// not framable (a device approval must not be clickjacked).
enum DevicePages {
    static func form() -> Response {
        page(
            title: "Sign in a device",
            body: """
                <h1>Sign in a device</h1>
                <p>Enter the code your device shows.</p>
                <form method="get" action="/auth/device">
                  <input name="user_code" autocomplete="off" autocapitalize="characters" placeholder="XXXX-XXXX" required>
                  <button type="submit">Continue</button>
                </form>
                """)
    }

    /// What the device asks for, and the button that starts the sign-in (a POST: a link alone
    /// can never approve a device).
    static func confirm(userCode: String, org: String, provider: String, loginHint: String?) -> Response {
        let hint = loginHint.map { #"<input type="hidden" name="login_hint" value="\#(escape($0))">"# } ?? ""
        return page(
            title: "Sign in a device",
            body: """
                <h1>Sign in a device?</h1>
                <p>A device showing the code <strong>\(escape(userCode))</strong> asks to sign in to the org
                <strong>\(escape(org))</strong> with <strong>\(escape(provider))</strong>.</p>
                <p>Continue only if you started this yourself, on a device in front of you.
                If someone sent you this link, close this window.</p>
                <form method="post" action="/auth/device">
                  <input type="hidden" name="user_code" value="\(escape(userCode))">\(hint)
                  <button type="submit">Sign in and approve the device</button>
                </form>
                """)
    }

    /// HTML text and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func approved() -> Response {
        page(
            title: "Device signed in",
            body: """
                <h1>Your device is signed in</h1>
                <p>You may close this window and return to your device.</p>
                """)
    }

    /// `formAction`: where the page's forms may lead (CSP `form-action`, redirects included).
    static func page(title: String, body: String, formAction: String = "'self'") -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(title) – Gatehouse</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body>\(body)</body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; form-action \(formAction); frame-ancestors 'none'",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
