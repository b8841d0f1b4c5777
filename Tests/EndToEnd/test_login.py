"""Browser login on the control listener (`/auth/{org}/{provider}/login` → provider →
`/auth/{org}/{provider}/callback` → session cookie), `/auth/session` and `/auth/logout`, against
the real OIDC provider and the GitHub stand-in, with the attacks a login must resist: replayed
or unknown `state`, a callback from another browser, a code from another login (PKCE), open
redirects, tampered cookies, cross-site logout."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from harness import assert_problem, check, ssl_context, uniq
from identity_peers import GITHUB_CONFIG, OIDC_CONFIG, start_peer

SESSION_COOKIE = "__Host-gatehouse-session"
CONSOLE_ORIGIN = "https://console.example.test"


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    # Gatehouse's control listener is https on an ephemeral port; its callbacks have two segments.
    config = json.loads(json.dumps(OIDC_CONFIG))
    for client in config["clients"]:
        client["redirect_uris"] = ["https://127.0.0.1:*/auth/*/*/callback"]
    peer = start_peer("oidc", tmp_path_factory.mktemp("peer-oidc-login"), config)
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def github(tmp_path_factory):
    config = json.loads(json.dumps(GITHUB_CONFIG))
    for app in config["apps"]:
        app["callback_url"] = "https://127.0.0.1/auth"
    peer = start_peer("github", tmp_path_factory.mktemp("peer-github-login"), config)
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory("--login-return-origins", CONSOLE_ORIGIN, name="gatehouse-login")


def oidc_org(gh, idp) -> str:
    org = gh.create_org(uniq("login"))
    check(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "corp", "type": "oidc",
        "oidc": {"issuer": idp.issuer, "clientId": "gatehouse", "clientSecret": "gatehouse-secret"}}), 201)
    return org


def browser(gh) -> httpx.Client:
    """A browser stand-in: a cookie jar, trusting Gatehouse's CA; redirects are followed by hand."""
    return httpx.Client(verify=ssl_context(gh.ca), timeout=15, follow_redirects=False)


def start(b: httpx.Client, gh, org: str, provider: str = "corp", **params) -> httpx.Response:
    params.setdefault("login_hint", "alice")
    return b.get(f"{gh.admin_url}/auth/{org}/{provider}/login", params=params)


def to_callback(b: httpx.Client, gh, org: str, provider: str = "corp", **params) -> str:
    """The callback URL the provider sends the browser to (not yet visited)."""
    r = check(start(b, gh, org, provider, **params), 303)
    assert r.headers["cache-control"] == "no-store"
    r = b.get(r.headers["location"])
    assert r.status_code in (302, 303), r.text[:300]
    callback = r.headers["location"]
    assert callback.startswith(f"{gh.admin_url}/auth/{org}/{provider}/callback?"), callback
    return callback


def login(b: httpx.Client, gh, org: str, provider: str = "corp", **params) -> httpx.Response:
    return b.get(to_callback(b, gh, org, provider, **params))


def session_cookie(b: httpx.Client) -> str:
    return next(c.value for c in b.cookies.jar if c.name == SESSION_COOKIE)


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_oidc_login_sets_a_host_only_secure_session_cookie_and_returns(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        r = check(start(b, gh, org, return_to="/console/after"), 303)
        authorize = urlsplit(r.headers["location"])
        q = parse_qs(authorize.query)
        assert r.headers["location"].startswith(idp.issuer), r.headers["location"]
        assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43, q
        assert q["state"][0] and q["nonce"][0] and q["client_id"] == ["gatehouse"], q
        assert q["redirect_uri"] == [f"{gh.admin_url}/auth/{org}/corp/callback"], q
        assert "code_verifier" not in q
        r = b.get(r.headers["location"])
        r = b.get(r.headers["location"])
        check(r, 303)
        assert r.headers["location"] == "/console/after"
        set_cookies = r.headers.get_list("set-cookie")
        session = next(c for c in set_cookies if c.startswith(SESSION_COOKIE + "="))
        attributes = [a.strip().lower() for a in session.split(";")[1:]]
        for needed in ("path=/", "secure", "httponly", "samesite=lax"):
            assert needed in attributes, session
        assert not any(a.startswith("domain") for a in attributes), session
        assert len(session) < 4096

        r = check(b.get(f"{gh.admin_url}/auth/session"), 200)
        doc = r.json()
        assert r.headers["cache-control"] == "no-store"
        assert doc["subject"] == "alice" and doc["org"] == org and doc["provider"] == "corp", doc
        assert doc["email"] == "alice@example.com" and sorted(doc["groups"]) == ["eng", "ops"], doc
        assert "accessToken" not in doc, "the token is only for same-origin scripts that ask"

        r = check(b.get(f"{gh.admin_url}/auth/session", headers={"X-Gatehouse-Token-Request": "1"}), 200)
        token = r.json()["accessToken"]
        c = claims(token)
        assert c["iss"] == gh.admin_url and c["aud"] == gh.admin_url, c
        assert c["sub"] == "alice" and c["org"] == org and c["kind"] == "user" and c["idp"] == "corp", c
        assert sorted(c["groups"]) == ["eng", "ops"], c


def test_logout_ends_the_session_server_side_and_expires_the_cookie(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        check(login(b, gh, org), 303)
        cookie = session_cookie(b)
        assert_problem(b.get(f"{gh.admin_url}/auth/logout"), 405)
        r = check(b.post(f"{gh.admin_url}/auth/logout"), 204)
        assert any(c.startswith(SESSION_COOKIE + "=;") and "Max-Age=0" in c for c in r.headers.get_list("set-cookie"))
    # The old cookie, replayed, names a session that no longer exists.
    with browser(gh) as other:
        r = other.get(f"{gh.admin_url}/auth/session", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
        assert_problem(r, 401)


def test_logout_from_another_site_is_refused(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        check(login(b, gh, org), 303)
        assert_problem(b.post(f"{gh.admin_url}/auth/logout", headers={"Origin": "https://evil.example"}), 403)
        assert_problem(b.post(f"{gh.admin_url}/auth/logout", headers={"Sec-Fetch-Site": "cross-site"}), 403)
        check(b.get(f"{gh.admin_url}/auth/session"), 200)
        r = check(b.post(f"{gh.admin_url}/auth/logout", params={"return_to": "/bye"},
                         headers={"Origin": gh.admin_url}), 303)
        assert r.headers["location"] == "/bye"


def test_a_state_works_once(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        callback = to_callback(b, gh, org)
        check(b.get(callback), 303)
        assert_problem(b.get(callback), 400)


def test_unknown_or_missing_state_is_refused(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        callback = to_callback(b, gh, org)
        parts = urlsplit(callback)
        code = parse_qs(parts.query)["code"][0]
        assert_problem(b.get(f"{gh.admin_url}/auth/{org}/corp/callback", params={"code": code, "state": "forged"}), 400)
        assert_problem(b.get(f"{gh.admin_url}/auth/{org}/corp/callback", params={"code": code}), 400)
        assert SESSION_COOKIE not in {c.name for c in b.cookies.jar}


def test_a_callback_from_another_browser_is_refused(gh, idp):
    # Login CSRF: an attacker's own callback URL, lured into a victim's browser.
    org = oidc_org(gh, idp)
    with browser(gh) as attacker, browser(gh) as victim:
        callback = to_callback(attacker, gh, org)
        assert_problem(victim.get(callback), 400)
        assert SESSION_COOKIE not in {c.name for c in victim.cookies.jar}


def test_a_code_from_another_login_fails_pkce(gh, idp):
    # Code injection: the code of login A presented with the state (and so the verifier) of B.
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        first = parse_qs(urlsplit(to_callback(b, gh, org)).query)
        second = parse_qs(urlsplit(to_callback(b, gh, org)).query)
        r = b.get(f"{gh.admin_url}/auth/{org}/corp/callback", params={"code": first["code"][0], "state": second["state"][0]})
        assert_problem(r, 401)
        assert SESSION_COOKIE not in {c.name for c in b.cookies.jar}


def test_a_provider_error_is_a_refused_login(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        state = parse_qs(urlsplit(check(start(b, gh, org), 303).headers["location"]).query)["state"][0]
        r = b.get(f"{gh.admin_url}/auth/{org}/corp/callback", params={"error": "access_denied", "state": state})
        assert_problem(r, 401)


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example", "\\\\evil.example", "/%2F%2Fevil.example", "%2F%2Fevil.example",
    "/%5Cevil.example", "https://evil.example/", f"{CONSOLE_ORIGIN}.evil.example/", f"https://x@evil.example/",
    "https://console.example.test@evil.example/", "javascript:alert(1)", "evil.example", "https:evil.example",
])
def test_open_redirect_return_urls_are_refused(gh, idp, target):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        r = start(b, gh, org, return_to=target)
        assert_problem(r, 400)
        assert "location" not in r.headers


def test_a_listed_origin_is_a_valid_return_url(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        r = check(login(b, gh, org, return_to=f"{CONSOLE_ORIGIN}/orgs"), 303)
        assert r.headers["location"] == f"{CONSOLE_ORIGIN}/orgs"


def test_tampered_and_foreign_cookies_are_refused(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        check(login(b, gh, org), 303)
        cookie = session_cookie(b)
    flipped = cookie[:20] + ("A" if cookie[20] != "A" else "B") + cookie[21:]
    for value in (flipped, cookie[:-3], "not-a-cookie", cookie + "AAAA"):
        with browser(gh) as other:
            r = other.get(f"{gh.admin_url}/auth/session", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
            assert_problem(r, 401)


def test_unknown_org_or_provider_is_not_found(gh, idp):
    org = oidc_org(gh, idp)
    with browser(gh) as b:
        assert_problem(start(b, gh, org, provider="nope"), 404)
        assert_problem(start(b, gh, uniq("none"), provider="corp"), 404)


def test_sessions_and_logouts_survive_a_restart(gatehouse, idp):
    org = oidc_org(gatehouse, idp)
    with browser(gatehouse) as kept, browser(gatehouse) as ended:
        check(login(kept, gatehouse, org), 303)
        check(login(ended, gatehouse, org), 303)
        kept_cookie, ended_cookie = session_cookie(kept), session_cookie(ended)
        check(ended.post(f"{gatehouse.admin_url}/auth/logout"), 204)
    gatehouse.restart()
    with browser(gatehouse) as b:
        r = check(b.get(f"{gatehouse.admin_url}/auth/session", headers={"Cookie": f"{SESSION_COOKIE}={kept_cookie}"}), 200)
        assert r.json()["subject"] == "alice"
        assert_problem(b.get(f"{gatehouse.admin_url}/auth/session", headers={"Cookie": f"{SESSION_COOKIE}={ended_cookie}"}), 401)


def github_org(gh, github, **rules) -> str:
    org = gh.create_org(uniq("ghlogin"))
    app = github.app(0)
    check(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "gh", "type": "github",
        "github": {"clientId": app["client_id"], "clientSecret": app["client_secret"], "baseUrl": github.api_url,
                   "webUrl": github.base_url, **rules}}), 201)
    return org


def test_github_login_maps_orgs_and_teams_to_groups(gh, github):
    org = github_org(gh, github, allowedOrganizations=["acme"])
    with browser(gh) as b:
        check(login(b, gh, org, provider="gh"), 303)
        doc = check(b.get(f"{gh.admin_url}/auth/session"), 200).json()
        assert doc["subject"] == "1001" and doc["provider"] == "gh" and doc["email"] == "alice@example.com", doc
        assert "github-org:acme" in doc["groups"] and "github-org:globex" in doc["groups"], doc
        assert "github-team:acme/eng" in doc["groups"] and "github-team:globex/research" in doc["groups"], doc


def test_github_users_outside_the_allowed_orgs_and_teams_are_refused(gh, github):
    org = github_org(gh, github, allowedOrganizations=["acme"], allowedTeams=["globex/research"])
    with browser(gh) as b:
        r = login(b, gh, org, provider="gh", login_hint="bob")
        assert_problem(r, 403)
        assert SESSION_COOKIE not in {c.name for c in b.cookies.jar}
    team_only = github_org(gh, github, allowedTeams=["acme/sre"])
    with browser(gh) as b:
        check(login(b, gh, team_only, provider="gh"), 303)


# --- the session at the edge -------------------------------------------------------------------


def test_the_session_opens_session_routes_at_the_edge(gh, idp, upstream):
    from joserfc import jwt
    from joserfc.jwk import KeySet

    org = oidc_org(gh, idp)
    gh.create_function(org, "fn", f"{upstream.url}/base")
    routes = {"app": {"mode": "session"}, "gatehouse-only": {"accept": ["session"], "providers": ["gatehouse"]},
              "ops": {"mode": "session", "groups": ["ops"]}, "admins": {"mode": "session", "groups": ["admins"]}}
    for name, auth in routes.items():
        gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": name, "function": "fn", "paths": [f"/{name}"], "auth": auth}))
    other = gh.create_org(uniq("login-b"))
    gh.create_function(other, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{other}/routes", {"name": "app", "function": "fn", "paths": ["/app"], "auth": {"mode": "session"}}))
    edge = gh.edge_url
    with browser(gh) as b:
        assert_problem(b.get(f"{edge}/{org}/app"), 401)
        check(login(b, gh, org), 303)
        # The cookie is the control listener's, and browsers send it to the edge's port of the same host.
        b.cookies.set("theme", "dark", domain="127.0.0.1")
        seen = check(b.get(f"{edge}/{org}/app"), 200).json()["headers"]
        assert SESSION_COOKIE not in seen.get("cookie", ""), f"the edge forwarded the session cookie: {seen}"
        assert "theme=dark" in seen.get("cookie", ""), seen
        keys = KeySet.import_key_set(check(httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca)), 200).json())
        c = jwt.decode(seen["x-gatehouse-identity"], keys, algorithms=["ES256"]).claims
        assert (c["sub"], c["org"], c["kind"], c["idp"]) == ("alice", org, "user", "corp"), c
        assert c["groups"] == ["eng", "ops"], c
        check(b.get(f"{edge}/{org}/ops"), 200)
        assert_problem(b.get(f"{edge}/{org}/admins"), 403)
        assert_problem(b.get(f"{edge}/{org}/gatehouse-only"), 403)
        # Another org's route: this session is not its own.
        assert_problem(b.get(f"{edge}/{other}/app"), 401)
        check(b.post(f"{gh.admin_url}/auth/logout"), 204)
        assert_problem(b.get(f"{edge}/{org}/app"), 401)
    # A function on another org's route (same host, anonymous) never receives the session either.
    gh.served(gh.api("POST", f"/v1/orgs/{other}/routes", {"name": "open", "function": "fn", "paths": ["/open"], "auth": {"mode": "none"}}))
    with browser(gh) as b:
        check(login(b, gh, org), 303)
        seen = check(b.get(f"{edge}/{other}/open"), 200).json()["headers"]
        assert SESSION_COOKIE not in seen.get("cookie", ""), seen
