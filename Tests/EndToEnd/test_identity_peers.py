"""The identity peers on their own, before Gatehouse talks to them: the OIDC provider (discovery,
JWKS, authorization code + PKCE, client credentials, refresh, userinfo, rotation, the mint hook),
GitHub's OAuth web and device flows and paginated REST API, and Graph's group endpoints.

Tokens are checked with joserfc (Authlib's own JOSE layer) against the published JWKS, the way a
relying party would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from identity_peers import (GRAPH_ALICE, GRAPH_OVERAGE, GRAPH_OVERAGE_GROUPS, GRAPH_TOKENS, HERE,
                            pkce_pair)

# --- helpers ----------------------------------------------------------------------------------


def verify(token: str, jwks: dict, issuer: str, audience: str | None = None, algs=("RS256", "ES256")):
    """Signature against the JWKS, then iss / aud / exp / nbf / iat; returns the decoded token."""
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=list(algs))
    options = {"iss": {"essential": True, "value": issuer}, "exp": {"essential": True}}
    if audience:
        options["aud"] = {"essential": True, "value": audience}
    JWTClaimsRegistry(**options).validate(decoded.claims)
    return decoded


def header_of(token: str) -> dict:
    # By hand: joserfc caps headers at 512 bytes, and an embedded RSA `jwk` is larger.
    head = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def query_of(url) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(str(url)).query).items()}


def authorize(oidc, callback: str, *, login: str | None = "alice", client_id="gatehouse",
              scope="openid email groups", challenge: str | None = None, nonce: str | None = None,
              extra: dict | None = None):
    """GET /authorize following redirects to `callback` (the upstream echo server). A fresh nonce
    each time: the provider refuses a nonce it has seen (replay)."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": callback,
              "scope": scope, "state": "st-123", "nonce": nonce or secrets.token_urlsafe(8)}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    if login:
        params["login_hint"] = login
    params.update(extra or {})
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        return browser.get(f"{oidc.issuer}/authorize", params=params)


def token_request(oidc, data: dict, client_id="gatehouse", basic=True) -> httpx.Response:
    secret = oidc.client(client_id)["client_secret"]
    if basic:
        return oidc.http.post("/token", data=data, auth=(client_id, secret))
    return oidc.http.post("/token", data={**data, "client_id": client_id, "client_secret": secret})


# --- OIDC provider: discovery and keys --------------------------------------------------------


def test_discovery_and_jwks(oidc_provider):
    before = oidc_provider.fetches()
    disco = oidc_provider.http.get("/.well-known/openid-configuration")
    assert disco.status_code == 200
    doc = disco.json()
    assert doc["issuer"] == oidc_provider.issuer
    assert doc["jwks_uri"] == oidc_provider.jwks_uri
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
        assert doc[name].startswith(oidc_provider.issuer + "/")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert set(doc["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post", "private_key_jwt"}
    assert doc["end_session_endpoint"] == oidc_provider.issuer + "/logout"
    assert doc["authorization_response_iss_parameter_supported"] is False

    resp = oidc_provider.http.get("/jwks")
    assert resp.status_code == 200
    assert re.search(r"\bmax-age=300\b", resp.headers["cache-control"])
    keys = resp.json()["keys"]
    by_kty = {k["kty"]: k for k in keys}
    assert set(by_kty) == {"RSA", "EC"}
    assert by_kty["RSA"]["alg"] == "RS256" and by_kty["EC"]["alg"] == "ES256" and by_kty["EC"]["crv"] == "P-256"
    assert RSAKey.import_key(by_kty["RSA"]).raw_value.key_size == 2048
    assert all(k["use"] == "sig" and k["kid"] for k in keys) and len({k["kid"] for k in keys}) == 2
    assert not any(p in k for k in keys for p in ("d", "p", "q", "dp", "dq", "qi")), "private parts published"
    after = oidc_provider.fetches()
    assert after == {"jwks": before["jwks"] + 1, "discovery": before["discovery"] + 1}


# --- OIDC provider: authorization code + PKCE -------------------------------------------------


def test_authorization_code_flow_with_pkce(oidc_provider, upstream):
    callback = f"{upstream.url}/auth/oidc/callback"
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(8)
    landed = authorize(oidc_provider, callback, challenge=challenge, nonce=nonce)
    assert [r.status_code for r in landed.history] == [302]
    assert landed.status_code == 200 and str(landed.url).startswith(callback)
    q = query_of(landed.url)
    assert q["state"] == "st-123" and q["code"]

    exchange = {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": callback,
                "code_verifier": verifier}
    resp = token_request(oidc_provider, exchange)
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["refresh_token"] and tokens["scope"] == "openid email groups"
    assert resp.headers["cache-control"] == "no-store"
    jwks = oidc_provider.jwks()

    id_token = verify(tokens["id_token"], jwks, oidc_provider.issuer, "gatehouse")
    assert id_token.header["alg"] == "RS256" and id_token.header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = id_token.claims
    assert claims["sub"] == "alice" and claims["nonce"] == nonce and claims["at_hash"]
    assert claims["email"] == "alice@example.com" and claims["groups"] == ["eng", "ops"]
    assert claims["iat"] <= time.time() < claims["exp"] and claims["auth_time"] <= claims["iat"] + 1

    access = verify(tokens["access_token"], jwks, oidc_provider.issuer, "gatehouse", algs=("RS256",))
    assert access.header["typ"] == "at+jwt" and access.header["kid"]
    at = access.claims
    assert at["sub"] == "alice" and at["aud"] == "gatehouse" and at["client_id"] == "gatehouse"
    assert at["scope"] == "openid email groups" and at["groups"] == ["eng", "ops"]
    assert at["email"] == "alice@example.com" and at["nbf"] <= time.time() and at["jti"]

    info = oidc_provider.http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == "alice" and info.json()["groups"] == ["eng", "ops"]

    # A code works once.
    again = token_request(oidc_provider, exchange)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    # Refresh (client_secret_post this time): a new pair; the old refresh token is spent.
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    renewed = token_request(oidc_provider, refresh, basic=False)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["refresh_token"] != tokens["refresh_token"]
    assert verify(renewed.json()["access_token"], jwks, oidc_provider.issuer, "gatehouse").claims["sub"] == "alice"
    replay = token_request(oidc_provider, refresh, basic=False)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_pkce_s256_and_fresh_nonces_are_required(oidc_provider, upstream):
    callback = f"{upstream.url}/auth/oidc/callback"
    nonce = secrets.token_urlsafe(8)
    first = authorize(oidc_provider, callback, challenge=pkce_pair()[1], nonce=nonce)
    replayed = authorize(oidc_provider, callback, challenge=pkce_pair()[1], nonce=nonce)
    assert "code" in query_of(first.url) and query_of(replayed.url)["error"] == "invalid_request"

    missing = authorize(oidc_provider, callback)  # no code_challenge at all
    assert query_of(missing.url)["error"] == "invalid_request" and query_of(missing.url)["state"] == "st-123"
    plain = authorize(oidc_provider, callback, extra={"code_challenge": "x" * 43, "code_challenge_method": "plain"})
    assert query_of(plain.url)["error"] == "invalid_request"

    verifier, challenge = pkce_pair()
    for bad_verifier, error in ((pkce_pair()[0], "invalid_grant"), (None, "invalid_request")):
        code = query_of(authorize(oidc_provider, callback, challenge=challenge).url)["code"]
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback}
        if bad_verifier:
            data["code_verifier"] = bad_verifier
        resp = token_request(oidc_provider, data)
        assert resp.status_code == 400 and resp.json()["error"] == error, resp.text


def test_login_form_and_redirect_checks(oidc_provider, upstream):
    callback = f"{upstream.url}/auth/oidc/callback"
    _, challenge = pkce_pair()

    def submit(form: dict) -> httpx.Response:
        page = authorize(oidc_provider, callback, login=None, challenge=challenge)  # a fresh nonce each
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        action = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        with httpx.Client(base_url=oidc_provider.issuer, follow_redirects=True, timeout=10) as browser:
            return browser.post(action, data=form)

    signed_in = submit({"login": "bob", "action": "approve"})
    assert query_of(signed_in.url)["code"] and query_of(signed_in.url)["state"] == "st-123"
    assert query_of(submit({"login": "bob", "action": "deny"}).url)["error"] == "access_denied"
    unknown = submit({"login": "mallory", "action": "approve"})
    assert unknown.status_code == 200 and "unknown user" in unknown.text

    # A redirect URI outside the client's patterns is never redirected to.
    for wrong in (f"{upstream.url}/auth/oidc/elsewhere", "http://127.0.0.1:1@evil.example/auth/x/callback"):
        resp = authorize(oidc_provider, wrong, challenge=challenge)
        assert resp.status_code == 400 and not resp.history and resp.json()["error"] == "invalid_request"


def test_es256_id_tokens(oidc_provider, upstream):
    callback = f"{upstream.url}/auth/oidc/callback"
    verifier, challenge = pkce_pair()
    code = query_of(authorize(oidc_provider, callback, client_id="gatehouse-es256", challenge=challenge).url)["code"]
    resp = token_request(oidc_provider, {"grant_type": "authorization_code", "code": code,
                                         "redirect_uri": callback, "code_verifier": verifier}, "gatehouse-es256")
    assert resp.status_code == 200, resp.text
    id_token = verify(resp.json()["id_token"], oidc_provider.jwks(), oidc_provider.issuer, "gatehouse-es256",
                      algs=("ES256",))
    assert id_token.header["alg"] == "ES256" and id_token.claims["sub"] == "alice"


def test_client_credentials(oidc_provider):
    for basic in (True, False):
        resp = token_request(oidc_provider, {"grant_type": "client_credentials", "scope": "functions.invoke"},
                             "worker", basic=basic)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert "refresh_token" not in body and "id_token" not in body
        at = verify(body["access_token"], oidc_provider.jwks(), oidc_provider.issuer,
                    "https://functions.gatehouse.test").claims
        assert at["sub"] == "worker" and at["scope"] == "functions.invoke" and "groups" not in at
    everything = token_request(oidc_provider, {"grant_type": "client_credentials"}, "worker").json()
    assert everything["scope"] == "functions.invoke functions.read"

    bad = oidc_provider.http.post("/token", data={"grant_type": "client_credentials"}, auth=("worker", "nope"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    # The worker may not use the code flow; a client token is no user's.
    assert token_request(oidc_provider, {"grant_type": "authorization_code", "code": "x"}, "worker").status_code == 400
    info = oidc_provider.http.get("/userinfo", headers={"Authorization": f"Bearer {everything['access_token']}"})
    assert info.status_code in (401, 403)


# --- OIDC provider: deliberately bad tokens ---------------------------------------------------


def test_minted_tokens_verify_or_fail_as_intended(oidc_provider):
    p, jwks, iss = oidc_provider, oidc_provider.jwks(), oidc_provider.issuer
    good = p.mint({"sub": "alice"})
    assert verify(good, jwks, iss, "gatehouse").claims["sub"] == "alice"
    assert verify(p.mint(alg="ES256"), jwks, iss, "gatehouse").header["alg"] == "ES256"

    def refused(token: str, **kw) -> None:
        with pytest.raises((JoseError, ValueError)):
            verify(token, jwks, iss, "gatehouse", **kw)

    refused(p.mint(alg="none"))
    assert p.mint(alg="none").endswith(".") and header_of(p.mint(alg="none"))["alg"] == "none"
    refused(p.mint(tamper="signature"))
    refused(p.mint(key="unknown"))
    refused(p.mint({"exp": int(time.time()) - 60}))
    refused(p.mint({"nbf": int(time.time()) + 600}))
    refused(p.mint({"iat": int(time.time()) + 600}))
    refused(p.mint({"iss": "https://evil.example"}))
    refused(p.mint({"aud": "someone-else"}))
    refused(p.mint(header={"crit": ["x-gatehouse"], "x-gatehouse": 1}))

    # Algorithm confusion: HS256 keyed with the published RSA key's PEM. A verifier that takes
    # `alg` from the token and the key from the JWKS would accept it; a careful one must not.
    confused = p.mint(alg="HS256-with-public-key")
    head, payload, sig = confused.split(".")
    rsa = RSAKey.import_key(next(k for k in jwks["keys"] if k["kid"] == header_of(confused)["kid"]))
    expected = hmac.new(rsa.as_pem(private=False), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)) == expected
    assert header_of(confused)["alg"] == "HS256"
    refused(confused)
    refused(confused, algs=("RS256", "ES256", "HS256"))  # joserfc refuses an RSA key as an HMAC key

    # Key-carrying headers on a correctly signed token: the signature is good, so only a
    # verifier that ignores jku / x5u / jwk / x5c (or rejects them) is safe.
    for extra in ({"jku": "http://127.0.0.1:1/jwks"}, {"x5u": "http://127.0.0.1:1/cert.pem"},
                  {"x5c": ["MIIBszCCAVmgAwIBAgIU"]}):
        token = p.mint(header=extra)
        assert set(extra) <= set(header_of(token)) and verify(token, jwks, iss, "gatehouse")
    embedded = p.mint(key="unknown", embed_jwk=True)
    assert header_of(embedded)["jwk"]["kid"] == header_of(embedded)["kid"]
    refused(embedded)  # signed by the key it carries, which is not in the JWKS

    bad = p.http.post("/_test/mint", json={"alg": "PS512"})
    assert bad.status_code == 400


def test_key_rotation_and_retirement(identity_peer_factory):
    p = identity_peer_factory("oidc", None, "--jwks-max-age", "7")
    first = p.jwks()
    old_rsa = next(k["kid"] for k in first["keys"] if k["kty"] == "RSA")
    assert p.http.get("/jwks").headers["cache-control"].endswith("max-age=7")
    before_token = p.mint()

    rotated = p.rotate()
    new_rsa = rotated["current"]["RS256"]
    assert new_rsa != old_rsa and old_rsa in rotated["published"] and len(rotated["published"]) == 4
    overlap = p.jwks()
    assert verify(before_token, overlap, p.issuer, "gatehouse")  # still verifiable during the overlap
    fresh = token_request(p, {"grant_type": "client_credentials"}, "worker").json()["access_token"]
    assert header_of(fresh)["kid"] == new_rsa

    retired = p.retire()
    assert old_rsa in retired["retired"] and old_rsa not in retired["published"]
    after = p.jwks()
    assert {k["kid"] for k in after["keys"]} == set(rotated["current"].values())
    with pytest.raises((JoseError, ValueError)):
        verify(before_token, after, p.issuer, "gatehouse")
    retired_token = p.mint(key="retired")
    assert header_of(retired_token)["kid"] == old_rsa
    assert p.fetches()["jwks"] == 4

    # Keys survive a restart (they live in the state directory); the port may change.
    p.restart()
    assert {k["kid"] for k in p.jwks()["keys"]} == set(rotated["current"].values())
    assert p.fetches() == {"jwks": 1, "discovery": 0}


def test_without_test_hooks_the_hooks_are_absent(tmp_path):
    # Started by hand: the fixtures always pass --enable-test-hooks.
    proc = subprocess.Popen([sys.executable, str(HERE / "oidc_provider.py"), "--port", "0", "--state-dir",
                             str(tmp_path), "--no-ec-key", "--user", "carol:carol@example.com"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = json.loads(proc.stdout.readline())["issuer"]
        assert httpx.post(f"{base}/_test/mint", json={}).status_code == 404
        assert httpx.post(f"{base}/_test/rotate").status_code == 404
        keys = httpx.get(f"{base}/jwks").json()["keys"]
        assert [k["kty"] for k in keys] == ["RSA"]
        assert httpx.get(f"{base}/.well-known/openid-configuration").json()[
            "id_token_signing_alg_values_supported"] == ["RS256"]
    finally:
        proc.terminate()
        proc.wait(5)


# --- GitHub -----------------------------------------------------------------------------------


def github_code(gh, callback: str, login="alice", scope="read:org user:email", challenge=None) -> httpx.Response:
    params = {"client_id": gh.app()["client_id"], "redirect_uri": callback, "scope": scope,
              "state": "gh-state", "login": login}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        return browser.get(f"{gh.base_url}/login/oauth/authorize", params=params)


def test_github_web_flow(github_api, upstream):
    gh, app = github_api, github_api.app()
    # The app's callback is http://127.0.0.1/auth/github/callback: a loopback callback accepts any port.
    callback = f"{upstream.url}/auth/github/callback"
    verifier, challenge = pkce_pair()
    landed = github_code(gh, callback, challenge=challenge)
    assert landed.history[0].status_code == 302 and str(landed.url).startswith(callback)
    q = query_of(landed.url)
    assert q["state"] == "gh-state" and len(q["code"]) == 20

    exchange = {"client_id": app["client_id"], "client_secret": app["client_secret"], "code": q["code"],
                "redirect_uri": callback, "code_verifier": verifier}
    resp = gh.http.post("/login/oauth/access_token", data=exchange, headers={"Accept": "application/json"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["scope"] == "read:org,user:email"
    assert re.fullmatch(r"gho_[A-Za-z0-9]{36}", body["access_token"])
    token = body["access_token"]

    # Used once; the default answer is form-encoded, errors are 200s.
    again = gh.http.post("/login/oauth/access_token", data=exchange)
    assert again.status_code == 200 and again.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(again.text)["error"] == ["bad_verification_code"]
    fresh = query_of(github_code(gh, callback).url)["code"]
    xml = gh.http.post("/login/oauth/access_token", params={**exchange, "code": fresh, "code_verifier": ""},
                       headers={"Accept": "application/xml"})
    assert xml.text.startswith("<OAuth>") and "<token_type>bearer</token_type>" in xml.text
    wrong = gh.http.post("/login/oauth/access_token", json={**exchange, "client_secret": "x"},
                         headers={"Accept": "application/json"})
    assert wrong.json()["error"] == "incorrect_client_credentials"

    # PKCE: a code issued with a challenge needs the right verifier.
    code = query_of(github_code(gh, callback, challenge=challenge).url)["code"]
    bad_pkce = gh.http.post("/login/oauth/access_token", headers={"Accept": "application/json"},
                            data={**exchange, "code": code, "code_verifier": pkce_pair()[0]})
    assert bad_pkce.json()["error"] == "bad_verification_code"

    # A redirect_uri off the callback path goes back to the callback with the error.
    with httpx.Client(timeout=10) as browser:
        mismatch = browser.get(f"{gh.base_url}/login/oauth/authorize", params={
            "client_id": app["client_id"], "redirect_uri": f"{upstream.url}/elsewhere", "state": "s", "login": "alice"})
    assert mismatch.status_code == 302
    assert mismatch.headers["location"].startswith(app["callback_url"] + "?error=redirect_uri_mismatch")

    for scheme in ("Bearer", "token"):
        user = httpx.get(f"{gh.api_url}/user", headers={"Authorization": f"{scheme} {token}"})
        assert user.status_code == 200 and user.json()["login"] == "alice" and user.json()["id"] == 1001
        assert user.headers["x-oauth-scopes"] == "read:org, user:email"
        assert user.headers["content-type"] == "application/json; charset=utf-8"
    emails = httpx.get(f"{gh.api_url}/user/emails", headers={"Authorization": f"Bearer {token}"}).json()
    assert emails == [{"email": "alice@example.com", "primary": True, "verified": True, "visibility": "public"}]


def test_github_link_pagination(github_api):
    token = github_api.token_for("alice", ["read:org"])
    url, slugs, pages = f"{github_api.api_url}/user/teams?per_page=2", [], []
    while url:
        resp = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200
        pages.append(resp)
        slugs += [f"{t['organization']['login']}/{t['slug']}" for t in resp.json()]
        url = resp.links.get("next", {}).get("url")
    assert len(pages) == 3
    assert slugs == ["acme/eng", "acme/ops", "acme/sre", "acme/platform", "globex/research"]
    first, middle, last = (p.links for p in pages)
    assert set(first) == {"next", "last"} and first["last"]["url"].endswith("per_page=2&page=3")
    assert set(middle) == {"prev", "next", "last", "first"}
    assert set(last) == {"prev", "first"}
    assert re.fullmatch(r'<[^>]+page=2>; rel="prev", <[^>]+page=1>; rel="first"', pages[2].headers["link"])

    orgs = httpx.get(f"{github_api.api_url}/user/orgs", params={"per_page": 1},
                     headers={"Authorization": f"token {token}"})
    assert [o["login"] for o in orgs.json()] == ["acme"] and "next" in orgs.links
    single = httpx.get(f"{github_api.api_url}/user/teams", headers={"Authorization": f"token {token}"})
    assert len(single.json()) == 5 and "link" not in single.headers


def test_github_auth_errors_and_request_log(github_api):
    api = github_api.api_url
    github_api.requests(clear=True)
    anonymous = httpx.get(f"{api}/user")
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Requires authentication"
    bad = httpx.get(f"{api}/user", headers={"Authorization": "Bearer gho_notarealtoken"})
    assert bad.status_code == 401
    assert bad.json()["message"] == "Bad credentials"
    assert bad.json()["documentation_url"].startswith("https://docs.github.com")

    no_scope = github_api.token_for("alice", [])
    auth = {"Authorization": f"Bearer {no_scope}"}
    assert httpx.get(f"{api}/user", headers=auth).status_code == 200
    assert httpx.get(f"{api}/user/orgs", headers=auth).status_code == 403
    assert httpx.get(f"{api}/user/teams", headers=auth).status_code == 403
    assert httpx.get(f"{api}/user/emails", headers=auth).status_code == 404
    user_scope = {"Authorization": f"Bearer {github_api.token_for('bob', ['user'])}"}
    assert httpx.get(f"{api}/user/orgs", headers=user_scope).json() == []  # `user` implies enough
    assert httpx.get(f"{api}/nope", headers=auth).json()["message"] == "Not Found"

    log = github_api.requests()
    assert [(r["path"], r["auth"], r["status"]) for r in log[:3]] == [
        ("/api/v3/user", None, 401), ("/api/v3/user", "bearer", 401), ("/api/v3/user", "bearer", 200)]
    assert no_scope not in str(log) and "gho_notarealtoken" not in str(log)


def test_github_device_flow(github_api):
    gh, app = github_api, github_api.app()
    json_accept = {"Accept": "application/json"}

    def new_device_code() -> dict:
        resp = gh.http.post("/login/device/code", data={"client_id": app["client_id"], "scope": "read:org"},
                            headers=json_accept)
        assert resp.status_code == 200
        return resp.json()

    def poll(device_code: str) -> dict:
        return gh.http.post("/login/oauth/access_token", headers=json_accept, data={
            "client_id": app["client_id"], "device_code": device_code,
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}).json()

    pending = new_device_code()
    assert re.fullmatch(r"[0-9a-f]{40}", pending["device_code"])
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", pending["user_code"])
    assert pending["verification_uri"] == f"{gh.base_url}/login/device"
    assert pending["expires_in"] == 900 and pending["interval"] == 5
    assert poll(pending["device_code"])["error"] == "authorization_pending"
    slow = poll(pending["device_code"])  # again at once: inside the interval
    assert slow["error"] == "slow_down" and slow["interval"] == 10

    approved = new_device_code()
    assert gh.approve_device(approved["user_code"].lower(), "alice").status_code == 200
    granted = poll(approved["device_code"])
    assert granted["token_type"] == "bearer" and granted["scope"] == "read:org"
    me = httpx.get(f"{gh.api_url}/user", headers={"Authorization": f"Bearer {granted['access_token']}"})
    assert me.json()["login"] == "alice"
    assert poll(approved["device_code"])["error"] == "incorrect_device_code"  # spent

    denied = new_device_code()
    gh.approve_device(denied["user_code"], "alice", deny=True)
    assert poll(denied["device_code"])["error"] == "access_denied"

    expiring = new_device_code()
    gh.expire_device_codes()
    assert poll(expiring["device_code"])["error"] == "expired_token"
    assert gh.approve_device(expiring["user_code"], "alice").status_code == 404

    assert poll("0" * 40)["error"] == "incorrect_device_code"
    form = gh.http.post("/login/device/code", data={"client_id": app["client_id"]})
    assert form.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(form.text)["interval"] == ["5"]
    disabled = gh.http.post("/login/device/code", data={"client_id": gh.app(1)["client_id"]}, headers=json_accept)
    assert disabled.status_code == 400 and disabled.json()["error"] == "device_flow_disabled"


# --- Microsoft Graph --------------------------------------------------------------------------


def graph_auth(who: str) -> dict:
    return {"Authorization": f"Bearer {GRAPH_TOKENS[who]}"}


def test_graph_member_objects(graph_api):
    g = graph_api.http
    security = g.post("/v1.0/me/getMemberObjects", json={"securityEnabledOnly": True}, headers=graph_auth("alice"))
    assert security.status_code == 200 and security.headers["content-type"].startswith("application/json")
    ids = security.json()["value"]
    assert ids == ["0a0a0a0a-0000-4000-8000-000000000001", "0a0a0a0a-0000-4000-8000-000000000002"]  # nested too
    everything = g.post("/v1.0/me/getMemberObjects", json={"securityEnabledOnly": False}, headers=graph_auth("alice"))
    assert len(everything.json()["value"]) == 4  # + the Microsoft 365 group and the directory role
    groups = g.post("/v1.0/me/getMemberGroups", json={"securityEnabledOnly": False}, headers=graph_auth("alice"))
    assert len(groups.json()["value"]) == 3

    app_view = g.post(f"/v1.0/users/{GRAPH_ALICE}/getMemberObjects", json={"securityEnabledOnly": True},
                      headers=graph_auth("app"))
    assert app_view.json()["value"] == ids
    by_upn = g.post("/v1.0/users/alice@contoso.example/getMemberObjects", json={"securityEnabledOnly": True},
                    headers=graph_auth("app"))
    assert by_upn.json()["value"] == ids

    no_body = g.post("/v1.0/me/getMemberObjects", headers=graph_auth("alice"))
    assert no_body.status_code == 400 and no_body.json()["error"]["code"] == "Request_BadRequest"


def test_graph_transitive_member_of_paging(graph_api):
    g, url, seen, pages = graph_api.http, "/v1.0/me/transitiveMemberOf?$top=100&$select=id,displayName", [], 0
    while url:
        resp = g.get(url, headers=graph_auth("overage"))
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        pages += 1
        for obj in doc["value"]:
            assert set(obj) == {"@odata.type", "id", "displayName"} and obj["@odata.type"] == "#microsoft.graph.group"
        seen += [o["id"] for o in doc["value"]]
        url = doc.get("@odata.nextLink")
        if url:
            assert url.startswith(f"{graph_api.base_url}/v1.0/me/transitiveMemberOf?") and "$skiptoken=" in url
    assert pages == 3 and len(seen) == len(set(seen)) == GRAPH_OVERAGE_GROUPS

    alice = g.get("/v1.0/me/transitiveMemberOf", headers=graph_auth("alice")).json()["value"]
    assert {o["@odata.type"] for o in alice} == {"#microsoft.graph.group", "#microsoft.graph.directoryRole"}
    assert {"id", "displayName", "securityEnabled", "groupTypes"} <= set(alice[0])
    only_groups = g.get(f"/v1.0/users/{GRAPH_OVERAGE}/transitiveMemberOf/microsoft.graph.group?$top=999",
                        headers=graph_auth("app")).json()
    assert len(only_groups["value"]) == GRAPH_OVERAGE_GROUPS and "@odata.nextLink" not in only_groups
    assert g.get("/v1.0/me/transitiveMemberOf?$top=0", headers=graph_auth("alice")).status_code == 400
    assert g.get("/v1.0/me/transitiveMemberOf?$skiptoken=garbage", headers=graph_auth("alice")).status_code == 400


def test_graph_errors_faults_and_request_log(graph_api):
    g = graph_api.http
    graph_api.requests(clear=True)
    empty = g.get("/v1.0/me/transitiveMemberOf", headers={"client-request-id": "abc-123"})
    assert empty.status_code == 401
    err = empty.json()["error"]
    assert err["code"] == "InvalidAuthenticationToken" and err["message"]
    assert err["innerError"]["client-request-id"] == "abc-123" and err["innerError"]["request-id"]
    assert empty.headers["request-id"] == err["innerError"]["request-id"]
    unknown = g.post("/v1.0/me/getMemberObjects", json={"securityEnabledOnly": True},
                     headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert g.get("/v1.0/me", headers=graph_auth("app")).status_code == 400  # /me needs a delegated token
    other = g.get(f"/v1.0/users/{GRAPH_OVERAGE}/transitiveMemberOf", headers=graph_auth("alice"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "Authorization_RequestDenied"
    assert g.get("/v1.0/users/nobody/transitiveMemberOf", headers=graph_auth("app")).status_code == 404
    assert g.get("/v1.0/me/nothingHere", headers=graph_auth("alice")).json()["error"]["code"] == "BadRequest"

    graph_api.fail_next(429, count=2, retry_after=3)
    for _ in range(2):
        throttled = g.get("/v1.0/me", headers=graph_auth("alice"))
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "3"
        assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert g.get("/v1.0/me", headers=graph_auth("alice")).json()["id"] == GRAPH_ALICE

    log = graph_api.requests()
    assert log[0]["auth"] is None and log[1]["auth"] == "bearer"
    assert not any(t in str(log) for t in GRAPH_TOKENS.values())
