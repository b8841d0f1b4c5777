"""GitHub's OAuth and REST endpoints as GitHub documents them, laid out like GitHub Enterprise
Server (web flow at the root, REST API under `/api/v3`), for the end-to-end tests. Run as a
subprocess:

    python github_api.py --port 0 --config FILE [--device-interval 5] [--enable-test-hooks]

When it accepts connections it prints one JSON line on stdout, `{"base_url": ..., "api_url":
".../api/v3"}`; the access log (method, path, status) goes to stderr.

Web (OAuth apps):
- `GET /login/oauth/authorize`: `client_id`, `redirect_uri`, `scope`, `state`, `login`, optional
  PKCE (`code_challenge`, `code_challenge_method=S256`). With a known `login` it approves at once
  and redirects with `code` and `state`; otherwise it shows a small form (POST `login=NAME`, or
  `action=deny` for `error=access_denied`). `redirect_uri` follows GitHub's rules: same host
  (sub-domains allowed) and port, the callback's path or below it; for a loopback callback the
  port may differ. A mismatch redirects to the callback with `error=redirect_uri_mismatch`.
- `POST /login/oauth/access_token`: the code exchange and the device-flow poll; parameters in the
  query, a form or a JSON body; the answer is form-encoded, or JSON / XML per `Accept`. Errors are
  200s with `error`, `error_description`, `error_uri`, as GitHub sends them.
- `POST /login/device/code`, and `GET|POST /login/device` where the "user" enters the code
  (POST `user_code`, `login`, `action=approve|deny`).

REST (`/api/v3`): `POST /applications/{client_id}/token` ("check a token", basic auth as the app),
`GET /user`, `/user/emails`, `/user/orgs`, `/user/teams` with `Authorization:
Bearer|token`, `per_page`/`page` and `Link` pagination, `X-OAuth-Scopes`,
`X-Accepted-OAuth-Scopes`, the scope checks of each endpoint, and GitHub's error bodies.

Config (JSON): `{"apps": [{"client_id", "client_secret", "callback_url", "device_flow"}],
"orgs": [{"login", "id"?, "description"?, "teams": [{"slug", "name", "id"?}]}],
"users": [{"login", "id"?, "name"?, "email"?, "emails"?, "orgs": [login], "teams": ["org/slug"]}],
"tokens": {"gho_...": {"login", "scopes": [...]}}}` (ids are assigned when absent).

Test hooks (`--enable-test-hooks` only): `GET|DELETE /_test/requests` (method, path, query with
secrets redacted, auth scheme: never a token), `POST /_test/device/expire` (every pending device
code expires), `POST /_test/tokens` `{"login", "scopes", "client_id"?}` -> `{"token"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import math
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

from flask import Flask, Response, g, jsonify, redirect, request

from peer_http import RequestLog, announce_and_serve, base_parser, bind, load_json

DOCS = "https://docs.github.com"
OAUTH_ERRORS_URI = f"{DOCS}/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
AUTHZ_ERRORS_URI = f"{DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors"
DEVICE_ERRORS_URI = f"{DOCS}/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_TTL = 600  # "The temporary code will expire after 10 minutes."
DEVICE_TTL = 900
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Scopes that include others ("Scopes for OAuth apps").
IMPLIED = {"user": {"read:user", "user:email", "user:follow"}, "admin:org": {"write:org", "read:org"},
           "write:org": {"read:org"}, "repo": {"repo:status", "repo_deployment", "public_repo"}}
ALNUM = string.ascii_letters + string.digits


def node_id(kind: str, ident: int) -> str:
    """The legacy global node id GitHub still returns, e.g. MDQ6VXNlcjE= for User 1."""
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


@dataclass
class Grant:
    login: str
    scopes: list[str]
    client_id: str | None = None  # the OAuth app the token was issued to (None: a personal token)

    def effective(self) -> set[str]:
        out = set(self.scopes)
        for s in self.scopes:
            out |= IMPLIED.get(s, set())
        return out


@dataclass
class Code:
    client_id: str
    redirect_uri: str | None
    grant: Grant
    challenge: str | None
    expires_at: float


@dataclass
class DeviceCode:
    client_id: str
    user_code: str
    scopes: list[str]
    expires_at: float
    interval: int
    last_poll: float = 0.0
    status: str = "pending"  # pending | approved | denied | used
    login: str | None = None


@dataclass
class World:
    base: str
    apps: dict[str, dict]
    users: dict[str, dict]
    orgs: dict[str, dict]
    device_interval: int
    tokens: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    devices: dict[str, DeviceCode] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api(self) -> str:
        return f"{self.base}/api/v3"

    def new_token(self, grant: Grant) -> str:
        token = "gho_" + "".join(secrets.choice(ALNUM) for _ in range(36))
        with self.lock:
            self.tokens[token] = grant
        return token


def load_world(base: str, config: dict, device_interval: int) -> World:
    orgs, users, next_id = {}, {}, iter(range(1000, 10**9))
    for org in config.get("orgs", []):
        org = {"description": "", **org, "id": org.get("id") or next(next_id)}
        org["teams"] = [{"description": "", **t, "id": t.get("id") or next(next_id)}
                        for t in org.get("teams", [])]
        orgs[org["login"]] = org
    for user in config.get("users", []):
        user = {"name": user["login"].title(), "orgs": [], "teams": [], **user,
                "id": user.get("id") or next(next_id)}
        user.setdefault("email", f"{user['login']}@example.com")
        user.setdefault("emails", [{"email": user["email"], "primary": True, "verified": True,
                                    "visibility": "public"}])
        users[user["login"]] = user
    apps = {a["client_id"]: {"device_flow": True, **a} for a in config.get("apps", [])}
    world = World(base, apps, users, orgs, device_interval)
    world.tokens = {t: Grant(g["login"], list(g.get("scopes", [])))
                    for t, g in config.get("tokens", {}).items()}
    return world


# --- REST resources ---------------------------------------------------------------------------


def user_doc(w: World, u: dict) -> dict:
    api, login = w.api, u["login"]
    return {
        "login": login, "id": u["id"], "node_id": node_id("User", u["id"]),
        "avatar_url": f"{w.base}/avatars/u/{u['id']}", "gravatar_id": "",
        "url": f"{api}/users/{login}", "html_url": f"{w.base}/{login}",
        "followers_url": f"{api}/users/{login}/followers",
        "following_url": f"{api}/users/{login}/following{{/other_user}}",
        "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
        "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/users/{login}/subscriptions",
        "organizations_url": f"{api}/users/{login}/orgs", "repos_url": f"{api}/users/{login}/repos",
        "events_url": f"{api}/users/{login}/events{{/privacy}}",
        "received_events_url": f"{api}/users/{login}/received_events",
        "type": "User", "site_admin": False, "name": u["name"], "company": None, "blog": "",
        "location": None, "email": u["email"], "hireable": None, "bio": None,
        "twitter_username": None, "public_repos": 0, "public_gists": 0, "followers": 0,
        "following": 0, "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
    }


def org_doc(w: World, o: dict) -> dict:
    api, login = w.api, o["login"]
    return {
        "login": login, "id": o["id"], "node_id": node_id("Organization", o["id"]),
        "url": f"{api}/orgs/{login}", "repos_url": f"{api}/orgs/{login}/repos",
        "events_url": f"{api}/orgs/{login}/events", "hooks_url": f"{api}/orgs/{login}/hooks",
        "issues_url": f"{api}/orgs/{login}/issues",
        "members_url": f"{api}/orgs/{login}/members{{/member}}",
        "public_members_url": f"{api}/orgs/{login}/public_members{{/member}}",
        "avatar_url": f"{w.base}/avatars/u/{o['id']}", "description": o["description"],
    }


def team_doc(w: World, o: dict, t: dict) -> dict:
    org = {**org_doc(w, o), "name": o.get("name", o["login"]), "html_url": f"{w.base}/{o['login']}",
           "type": "Organization", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}
    url = f"{w.api}/organizations/{o['id']}/team/{t['id']}"
    return {
        "id": t["id"], "node_id": node_id("Team", t["id"]), "url": url,
        "html_url": f"{w.base}/orgs/{o['login']}/teams/{t['slug']}", "name": t["name"],
        "slug": t["slug"], "description": t["description"], "privacy": "closed",
        "notification_setting": "notifications_enabled", "permission": "pull",
        "members_url": f"{url}/members{{/member}}", "repositories_url": f"{url}/repos",
        "parent": None, "members_count": 1, "repos_count": 0,
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "organization": org,
    }


def gh_error(status: int, message: str, doc_path: str = "/rest") -> Response:
    resp = jsonify({"message": message, "documentation_url": f"{DOCS}{doc_path}", "status": str(status)})
    resp.status_code = status
    return resp


def paginate(items: list) -> Response:
    """One page of `items` with GitHub's `Link` header (prev, next, last, first)."""
    def number(name, default):
        try:
            return int(request.args.get(name, default))
        except ValueError:
            return default
    per_page = min(max(number("per_page", 30), 1), 100)
    page = max(number("page", 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    resp = jsonify(items[(page - 1) * per_page: page * per_page])

    def link(n, rel):
        query = urlencode({**request.args.to_dict(), "page": n})
        return f'<{request.base_url}?{query}>; rel="{rel}"'
    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links.append(link(1, "first"))
    if links:
        resp.headers["Link"] = ", ".join(links)
    return resp


# --- OAuth helpers ----------------------------------------------------------------------------


def oauth_response(doc: dict, status: int = 200) -> Response:
    """Form-encoded by default, JSON or XML when `Accept` asks (as GitHub's OAuth endpoints)."""
    accept = request.headers.get("Accept", "")
    if "application/json" in accept:
        resp = jsonify(doc)
    elif "application/xml" in accept:
        body = "".join(f"<{k}>{xml_escape(str(v))}</{k}>" for k, v in doc.items())
        resp = Response(f"<OAuth>{body}</OAuth>", content_type="application/xml; charset=utf-8")
    else:
        resp = Response(urlencode(doc), content_type="application/x-www-form-urlencoded; charset=utf-8")
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


def oauth_error(error: str, description: str, uri: str, status: int = 200, **extra) -> Response:
    return oauth_response({"error": error, "error_description": description, "error_uri": uri, **extra}, status)


def params() -> dict:
    """OAuth parameters from the query, a form body or a JSON body (GitHub takes all three)."""
    out = request.args.to_dict()
    out.update(request.form.to_dict())
    if request.is_json:
        out.update({k: str(v) for k, v in (request.get_json(silent=True) or {}).items()})
    return out


def redirect_allowed(callback: str, redirect_uri: str) -> bool:
    cb, ru = urlsplit(callback), urlsplit(redirect_uri)
    if cb.scheme != ru.scheme or not ru.hostname or ru.query or ru.fragment:
        return False
    host_ok = ru.hostname == cb.hostname or ru.hostname.endswith("." + (cb.hostname or ""))
    port_ok = ru.port == cb.port or (cb.hostname in LOOPBACK and ru.hostname == cb.hostname)
    base = cb.path.rstrip("/")
    path_ok = ru.path.rstrip("/") == base or ru.path.startswith(base + "/")
    return host_ok and port_ok and path_ok


def with_query(url: str, **query) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in query.items() if v is not None})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def split_scopes(value: str | None) -> list[str]:
    return [s for s in (value or "").replace(",", " ").split() if s]


FORM = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>{message}
<form method="post" action="{action}">{hidden}
<label>Username <input name="login" value="{login}" autofocus></label>{extra}
<button name="action" value="approve">Authorize</button>
<button name="action" value="deny">Cancel</button>
</form></body></html>
"""


def html_form(title: str, action: str, hidden: dict, message: str = "", extra: str = "") -> Response:
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in hidden.items())
    body = FORM.format(title=html.escape(title), action=html.escape(action), hidden=inputs,
                       login=html.escape(request.values.get("login", "")), extra=extra,
                       message=f"<p>{html.escape(message)}</p>" if message else "")
    return Response(body, content_type="text/html; charset=utf-8")


# --- the app ----------------------------------------------------------------------------------


def create_app(app: Flask, w: World, test_hooks: bool) -> None:
    RequestLog(app, test_hooks)

    @app.route("/login/oauth/authorize", methods=["GET", "POST"])
    def authorize():
        q = request.values
        gh_app = w.apps.get(q.get("client_id", ""))
        if gh_app is None:
            return Response("Not Found", 404, content_type="text/plain")
        state = q.get("state")
        redirect_uri = q.get("redirect_uri") or None
        if redirect_uri and not redirect_allowed(gh_app["callback_url"], redirect_uri):
            return redirect(with_query(
                gh_app["callback_url"], error="redirect_uri_mismatch",
                error_description="The redirect_uri MUST match the registered callback URL for this application.",
                error_uri=f"{AUTHZ_ERRORS_URI}/#redirect-uri-mismatch", state=state))
        target = redirect_uri or gh_app["callback_url"]
        challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
        if (challenge or method) and (method != "S256" or not challenge or len(challenge) != 43):
            return redirect(with_query(
                target, error="invalid_request", state=state,
                error_description="code_challenge must be 43 characters, with code_challenge_method=S256"))
        if request.method == "POST" and q.get("action") == "deny":
            return redirect(with_query(
                target, error="access_denied", error_description="The user has denied your application access.",
                error_uri=f"{AUTHZ_ERRORS_URI}/#access-denied", state=state))
        user = w.users.get(q.get("login", ""))
        if user is None:
            keep = {k: v for k, v in q.items() if k not in ("login", "action")}
            message = f"unknown user {q.get('login')!r}" if request.method == "POST" else ""
            return html_form(f"Authorize {gh_app['client_id']}", "/login/oauth/authorize", keep, message)
        code = secrets.token_hex(10)
        with w.lock:
            w.codes[code] = Code(gh_app["client_id"], redirect_uri,
                                 Grant(user["login"], split_scopes(q.get("scope")), gh_app["client_id"]), challenge,
                                 time.time() + CODE_TTL)
        return redirect(with_query(target, code=code, state=state))

    @app.post("/login/oauth/access_token")
    def access_token():
        p = params()
        if p.get("grant_type") == DEVICE_GRANT or "device_code" in p:
            return device_poll(p)
        gh_app = w.apps.get(p.get("client_id", ""))
        if gh_app is None or not hmac.compare_digest(gh_app["client_secret"].encode(),
                                                     p.get("client_secret", "").encode()):
            return oauth_error("incorrect_client_credentials",
                               "The client_id and/or client_secret passed are incorrect.",
                               f"{OAUTH_ERRORS_URI}/#incorrect-client-credentials")
        with w.lock:
            code = w.codes.pop(p.get("code", ""), None)  # single use, even when it then fails
        bad_code = ("bad_verification_code", "The code passed is incorrect or expired.",
                    f"{OAUTH_ERRORS_URI}/#bad-verification-code")
        if code is None or code.client_id != gh_app["client_id"] or code.expires_at < time.time():
            return oauth_error(*bad_code)
        if p.get("redirect_uri") and code.redirect_uri and p["redirect_uri"] != code.redirect_uri:
            return oauth_error("redirect_uri_mismatch",
                               "The redirect_uri MUST match the registered callback URL for this application.",
                               f"{AUTHZ_ERRORS_URI}/#redirect-uri-mismatch2")
        if code.challenge:
            verifier = p.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if not verifier or not hmac.compare_digest(digest, code.challenge):
                return oauth_error(*bad_code)
        token = w.new_token(code.grant)
        return oauth_response({"access_token": token, "token_type": "bearer", "scope": ",".join(code.grant.scopes)})

    def device_poll(p: dict) -> Response:
        gh_app = w.apps.get(p.get("client_id", ""))
        if gh_app is None:
            return oauth_error("incorrect_client_credentials",
                               "The client_id and/or client_secret passed are incorrect.", DEVICE_ERRORS_URI)
        if p.get("grant_type") != DEVICE_GRANT:
            return oauth_error("unsupported_grant_type",
                               f"The grant type must be {DEVICE_GRANT}.", DEVICE_ERRORS_URI)
        now = time.time()
        with w.lock:
            dc = w.devices.get(p.get("device_code", ""))
            if dc is None or dc.client_id != gh_app["client_id"] or dc.status == "used":
                return oauth_error("incorrect_device_code", "The device_code provided is not valid.", DEVICE_ERRORS_URI)
            if dc.expires_at <= now:
                return oauth_error("expired_token", "The device_code has expired.", DEVICE_ERRORS_URI)
            if dc.status == "denied":
                return oauth_error("access_denied", "The authorization request was denied.", DEVICE_ERRORS_URI)
            too_soon = dc.last_poll and now - dc.last_poll < dc.interval
            dc.last_poll = now
            if too_soon:
                dc.interval += 5  # "5 extra seconds are added to the minimum interval"
                return oauth_error("slow_down", "Too many requests have been made in the same timeframe.",
                                   DEVICE_ERRORS_URI, interval=dc.interval)
            if dc.status == "pending":
                return oauth_error("authorization_pending", "The authorization request is still pending.",
                                   DEVICE_ERRORS_URI)
            dc.status = "used"
        token = w.new_token(Grant(dc.login, dc.scopes, dc.client_id))
        return oauth_response({"access_token": token, "token_type": "bearer", "scope": ",".join(dc.scopes)})

    @app.post("/login/device/code")
    def device_code():
        p = params()
        gh_app = w.apps.get(p.get("client_id", ""))
        if gh_app is None:
            return oauth_error("incorrect_client_credentials",
                               "The client_id and/or client_secret passed are incorrect.", DEVICE_ERRORS_URI, 400)
        if not gh_app["device_flow"]:
            return oauth_error("device_flow_disabled", "Device Flow must be explicitly enabled for this App",
                               DEVICE_ERRORS_URI, 400)
        code = secrets.token_hex(20)
        letters = "BCDFGHJKLMNPQRSTVWXZ0123456789"
        user_code = "-".join("".join(secrets.choice(letters) for _ in range(4)) for _ in range(2))
        with w.lock:
            w.devices[code] = DeviceCode(gh_app["client_id"], user_code, split_scopes(p.get("scope")),
                                         time.time() + DEVICE_TTL, w.device_interval)
        return oauth_response({"device_code": code, "user_code": user_code,
                               "verification_uri": f"{w.base}/login/device",
                               "expires_in": DEVICE_TTL, "interval": w.device_interval})

    @app.route("/login/device", methods=["GET", "POST"])
    def device_page():
        entry = '<label>Code <input name="user_code" value="{}"></label>'.format(
            html.escape(request.values.get("user_code", "")))
        if request.method == "GET":
            return html_form("Device activation", "/login/device", {}, extra=entry)
        user_code = request.form.get("user_code", "").strip().upper()
        with w.lock:
            dc = next((d for d in w.devices.values()
                       if d.user_code == user_code and d.status == "pending" and d.expires_at > time.time()), None)
            user = w.users.get(request.form.get("login", ""))
            if dc is None or user is None:
                problem = "unknown or expired code" if dc is None else "unknown user"
                return html_form("Device activation", "/login/device", {}, problem, entry), 404
            if request.form.get("action") == "deny":
                dc.status = "denied"
            else:
                dc.status, dc.login = "approved", user["login"]
        return Response(f"<!doctype html><p>Device {dc.status}.</p>", content_type="text/html; charset=utf-8")

    # --- REST ---

    def authenticated(accepted: str, doc_path: str):
        """(user, grant) for the request's token, or an error response."""
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        if not scheme:
            return None, gh_error(401, "Requires authentication", doc_path)
        grant = w.tokens.get(token.strip()) if scheme.lower() in ("bearer", "token") else None
        user = w.users.get(grant.login) if grant else None
        if user is None:
            return None, gh_error(401, "Bad credentials")
        g.scopes, g.accepted = ", ".join(grant.scopes), accepted
        return (user, grant), None

    @app.after_request
    def api_headers(resp):
        if request.path.startswith("/api/v3"):
            resp.headers["Content-Type"] = "application/json; charset=utf-8"
            resp.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
            resp.headers["X-GitHub-Request-Id"] = secrets.token_hex(8).upper()
            if "scopes" in g:
                resp.headers["X-OAuth-Scopes"] = g.scopes
                resp.headers["X-Accepted-OAuth-Scopes"] = g.accepted
        return resp

    @app.get("/api/v3/user")
    def get_user():
        auth, error = authenticated("", "/rest/users/users#get-the-authenticated-user")
        return error or jsonify(user_doc(w, auth[0]))

    @app.get("/api/v3/user/emails")
    def get_emails():
        doc_path = "/rest/users/emails#list-email-addresses-for-the-authenticated-user"
        auth, error = authenticated("user, user:email", doc_path)
        if error:
            return error
        if "user:email" not in auth[1].effective():
            return gh_error(404, "Not Found", doc_path)
        return paginate(auth[0]["emails"])

    @app.get("/api/v3/user/orgs")
    def get_orgs():
        auth, error = authenticated("admin:org, read:org, repo, user, write:org",
                                    "/rest/orgs/orgs#list-organizations-for-the-authenticated-user")
        if error:
            return error
        if not auth[1].effective() & {"read:org", "user"}:
            return gh_error(403, "You need at least read:org scope or user scope to list your organizations.",
                            "/rest/orgs/orgs#list-organizations-for-the-authenticated-user")
        return paginate([org_doc(w, w.orgs[o]) for o in auth[0]["orgs"] if o in w.orgs])

    @app.get("/api/v3/user/teams")
    def get_teams():
        auth, error = authenticated("read:org, repo, user", "/rest/teams/teams#list-teams-for-the-authenticated-user")
        if error:
            return error
        if not auth[1].effective() & {"read:org", "repo", "user"}:
            return gh_error(403, "Resource not accessible with this token's scopes: needs user, repo or read:org.",
                            "/rest/teams/teams#list-teams-for-the-authenticated-user")
        teams = []
        for ref in auth[0]["teams"]:
            org_login, _, slug = ref.partition("/")
            org = w.orgs.get(org_login)
            team = next((t for t in (org or {}).get("teams", []) if t["slug"] == slug), None)
            if team:
                teams.append(team_doc(w, org, team))
        return paginate(teams)

    @app.post("/api/v3/applications/<client_id>/token")
    def check_token(client_id):
        """"Check a token": the app authenticates with basic auth (client id and secret); 200 with
        the authorization when `access_token` is a valid token issued to this app, 404 otherwise,
        422 without a token."""
        doc_path = "/rest/apps/oauth-applications#check-a-token"
        app_ = w.apps.get(client_id)
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return gh_error(401, "Requires authentication", doc_path)
        try:
            given_id, _, given_secret = base64.b64decode(credentials).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return gh_error(401, "Bad credentials", doc_path)
        if app_ is None or given_id != client_id or not hmac.compare_digest(given_secret, app_["client_secret"]):
            return gh_error(404, "Not Found", doc_path)
        token = (request.get_json(force=True, silent=True) or {}).get("access_token")
        if not isinstance(token, str) or not token:
            return gh_error(422, "Validation Failed", doc_path)
        grant = w.tokens.get(token)
        if grant is None or grant.client_id != client_id or grant.login not in w.users:
            return gh_error(404, "Not Found", doc_path)
        return jsonify({
            "id": 1, "url": f"{w.api}/authorizations/1", "scopes": grant.scopes, "token": token,
            "token_last_eight": token[-8:], "hashed_token": hashlib.sha256(token.encode()).hexdigest(),
            "app": {"client_id": client_id, "name": client_id, "url": f"{w.base}"},
            "note": None, "note_url": None, "fingerprint": None, "expires_at": None,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "user": user_doc(w, w.users[grant.login]),
        })

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(error):
        if request.path.startswith("/api/v3"):
            return gh_error(404, "Not Found")
        return Response("Not Found", 404, content_type="text/plain")

    if not test_hooks:
        return

    @app.post("/_test/device/expire")
    def expire_devices():
        with w.lock:
            for dc in w.devices.values():
                dc.expires_at = min(dc.expires_at, time.time() - 1)
        return jsonify({"expired": len(w.devices)})

    @app.post("/_test/tokens")
    def issue_token():
        body = request.get_json(force=True, silent=True) or {}
        if body.get("login") not in w.users:
            return jsonify({"error": "unknown login"}), 400
        grant = Grant(body["login"], list(body.get("scopes", [])), body.get("client_id"))
        return jsonify({"token": w.new_token(grant)})


def main() -> None:
    parser = base_parser("GitHub (Enterprise layout) OAuth and REST endpoints for the end-to-end tests")
    parser.add_argument("--config", required=True, help="JSON file with apps, orgs, users, tokens")
    parser.add_argument("--device-interval", type=int, default=5, help="device-flow polling interval (s)")
    args = parser.parse_args()
    app = Flask("github_api")
    server, base = bind(app, args.host, args.port)
    world = load_world(base, load_json(args.config), args.device_interval)
    create_app(app, world, args.enable_test_hooks)
    announce_and_serve(server, {"base_url": base, "api_url": world.api})


if __name__ == "__main__":
    main()
