"""Authentication at the edge, against a real OIDC provider process: bearer tokens of an org's
provider (keys fetched by discovery, refreshed on rotation), API keys, the route's audience,
scope, group and provider requirements, the identity token functions receive, and the RFC 8725
attacks, each of which must be refused without harm."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from harness import assert_problem, check, ssl_context, uniq

FUNCTION_AUDIENCE = "urn:gatehouse:function:{org}/{function}"


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse




def _route(gh, org: str, name: str, paths: list[str], auth: dict, function: str = "fn") -> dict:
    return gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": name, "function": function, "paths": paths, "auth": auth}))


def _provider(gh, org: str, name: str, issuer: str, audiences: list[str] | None = None) -> dict:
    block = {"issuer": issuer, "clientId": "gatehouse"}
    if audiences:
        block["audiences"] = audiences
    return gh.served(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {"name": name, "type": "oidc", "oidc": block}))


def _api_key(gh, org: str, name: str, **fields) -> dict:
    return gh.served(gh.api("POST", f"/v1/orgs/{org}/api-keys", {"name": name, **fields}))


@pytest.fixture(scope="module")
def env(gh, upstream, oidc_provider):
    org = gh.create_org(uniq("auth"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    _provider(gh, org, "corp", oidc_provider.issuer, audiences=["gatehouse", "https://functions.gatehouse.test"])
    _route(gh, org, "jwt", ["/jwt"], {"mode": "jwt"})
    _route(gh, org, "scoped", ["/scoped"], {"mode": "jwt", "scopes": ["functions.invoke"]})
    _route(gh, org, "eng", ["/eng"], {"mode": "jwt", "groups": ["eng"]})
    _route(gh, org, "aud", ["/aud"], {"mode": "jwt", "audiences": ["https://functions.gatehouse.test"]})
    _route(gh, org, "other-idp", ["/other-idp"], {"accept": ["jwt"], "providers": ["gatehouse"]})
    _route(gh, org, "keys", ["/keys"], {"mode": "api-key"})
    _route(gh, org, "either", ["/either"], {"accept": ["jwt", "api-key"], "apiKeyHeader": "x-tenant-key"})
    _route(gh, org, "open", ["/open"], {"mode": "none"})
    created = _api_key(gh, org, "ci", scopes=["deploy"])
    return SimpleNamespace(org=org, api_key=created["key"])


def _get(gh, org: str, path: str, headers: dict | None = None, transport: str = "h2") -> httpx.Response:
    with gh.client(transport) as c:
        return c.get(f"/{org}{path}", headers=headers or {})


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _challenge(resp: httpx.Response) -> str:
    value = resp.headers.get("www-authenticate", "")
    assert value.startswith('Bearer realm="gatehouse"'), resp.headers
    return value


def _jwks(gh) -> KeySet:
    r = httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca), timeout=10)
    return KeySet.import_key_set(check(r, 200).json())


def _header(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# --- who gets in ----------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["h2", "h1", "h2c"])
def test_no_credentials_get_the_bare_challenge(gh, env, transport):
    r = _get(gh, env.org, "/jwt", transport=transport)
    assert_problem(r, 401)
    assert "error=" not in _challenge(r), "RFC 6750 3.1: no error code when no credentials were sent"


@pytest.mark.parametrize("transport", ["h2", "h1", "h2c"])
def test_a_valid_provider_token_reaches_the_function_as_a_signed_identity(gh, env, oidc_provider, transport):
    token = oidc_provider.mint({"sub": "alice", "groups": ["eng", "ops"], "scope": "openid functions.read"})
    r = check(_get(gh, env.org, "/jwt", _bearer(token), transport), 200)
    seen = r.json()["headers"]
    assert "authorization" not in seen, "the caller's token was forwarded to the function"
    identity = seen["x-gatehouse-identity"]
    assert _header(identity)["typ"] == "gatehouse-identity+jwt", _header(identity)
    claims = jwt.decode(identity, _jwks(gh), algorithms=["ES256"]).claims
    assert claims["iss"] == gh.admin_url, claims
    assert claims["aud"] == FUNCTION_AUDIENCE.format(org=env.org, function="fn"), claims
    assert (claims["sub"], claims["org"], claims["kind"], claims["idp"]) == ("alice", env.org, "user", "corp"), claims
    assert claims["groups"] == ["eng", "ops"] and set(claims["scope"].split()) == {"openid", "functions.read"}, claims
    assert 0 < claims["exp"] - claims["iat"] <= 60, claims


def test_a_client_cannot_send_its_own_identity_header(gh, env):
    forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."
    seen = check(_get(gh, env.org, "/open", {"X-Gatehouse-Identity": forged}), 200).json()["headers"]
    assert "x-gatehouse-identity" not in seen, seen


def test_client_credentials_token_from_the_real_provider(gh, env, oidc_provider):
    client = oidc_provider.client("worker")
    r = httpx.post(
        f"{oidc_provider.issuer}/token", data={"grant_type": "client_credentials", "scope": "functions.invoke"},
        auth=(client["client_id"], client["client_secret"]), timeout=10)
    token = check(r, 200).json()["access_token"]
    check(_get(gh, env.org, "/scoped", _bearer(token)), 200)
    check(_get(gh, env.org, "/aud", _bearer(token)), 200)


def test_scopes_groups_audiences_and_providers_are_required(gh, env, oidc_provider):
    plain = oidc_provider.mint({"sub": "bob", "scope": "openid", "groups": []})
    r = _get(gh, env.org, "/scoped", _bearer(plain))
    assert_problem(r, 403)
    challenge = _challenge(r)
    assert 'error="insufficient_scope"' in challenge and 'scope="functions.invoke"' in challenge, challenge
    check(_get(gh, env.org, "/scoped", _bearer(oidc_provider.mint({"scope": "openid functions.invoke"}))), 200)

    assert_problem(_get(gh, env.org, "/eng", _bearer(plain)), 403)
    check(_get(gh, env.org, "/eng", _bearer(oidc_provider.mint({"groups": ["eng"]}))), 200)

    # The provider's own audience is not the one this route names.
    r = _get(gh, env.org, "/aud", _bearer(plain))
    assert_problem(r, 401)
    assert 'error="invalid_token"' in _challenge(r)
    check(_get(gh, env.org, "/aud", _bearer(oidc_provider.mint({"aud": "https://functions.gatehouse.test"}))), 200)

    # Only Gatehouse's own tokens may call this one.
    assert_problem(_get(gh, env.org, "/other-idp", _bearer(plain)), 403)


def test_api_keys(gh, env, oidc_provider):
    seen = check(_get(gh, env.org, "/keys", {"X-Api-Key": env.api_key}), 200).json()["headers"]
    assert "x-api-key" not in seen, "the API key was forwarded to the function"
    claims = jwt.decode(seen["x-gatehouse-identity"], _jwks(gh), algorithms=["ES256"]).claims
    assert (claims["kind"], claims["sub"], claims["scope"]) == ("api-key", "ci", "deploy"), claims
    check(_get(gh, env.org, "/keys", _bearer(env.api_key)), 200)
    check(_get(gh, env.org, "/either", {"X-Tenant-Key": env.api_key}), 200)
    check(_get(gh, env.org, "/either", _bearer(oidc_provider.mint())), 200)
    # A bearer token where only keys are accepted, a key where only tokens are, a bad key.
    assert_problem(_get(gh, env.org, "/keys", _bearer(oidc_provider.mint())), 401)
    assert_problem(_get(gh, env.org, "/jwt", {"X-Api-Key": env.api_key}), 401)
    assert_problem(_get(gh, env.org, "/jwt", _bearer(env.api_key)), 401)
    bad = env.api_key[:-4] + ("AAAA" if not env.api_key.endswith("AAAA") else "BBBB")
    assert_problem(_get(gh, env.org, "/keys", {"X-Api-Key": bad}), 401)


def test_a_revoked_api_key_stops_working(gh, env):
    created = _api_key(gh, env.org, uniq("tmp"))
    check(_get(gh, env.org, "/keys", {"X-Api-Key": created["key"]}), 200)
    check(gh.api("DELETE", f"/v1/orgs/{env.org}/api-keys/{created['name']}"), 204)
    gh.wait_for_revision(created["revision"] + 1)
    assert_problem(_get(gh, env.org, "/keys", {"X-Api-Key": created["key"]}), 401)


def test_another_orgs_credentials_are_refused(gh, env, upstream, identity_peer_factory):
    other_idp = identity_peer_factory("oidc")
    other = gh.create_org(uniq("auth-b"))
    gh.create_function(other, "fn", f"{upstream.url}/base")
    _provider(gh, other, "corp", other_idp.issuer)
    _route(gh, other, "jwt", ["/jwt"], {"accept": ["jwt", "api-key"]})
    other_key = _api_key(gh, other, "ci")["key"]
    token_b = other_idp.mint({"sub": "mallory"})
    check(_get(gh, other, "/jwt", _bearer(token_b)), 200)
    check(_get(gh, other, "/jwt", {"X-Api-Key": other_key}), 200)
    # Org B's provider's token and org B's key on org A's routes, and the reverse.
    r = _get(gh, env.org, "/jwt", _bearer(token_b))
    assert "issuer" in assert_problem(r, 401)["detail"]
    assert_problem(_get(gh, env.org, "/keys", {"X-Api-Key": other_key}), 401)
    assert_problem(_get(gh, other, "/jwt", {"X-Api-Key": env.api_key}), 401)


# --- RFC 8725 -----------------------------------------------------------------------------------

ATTACKS = {
    "alg none": dict(alg="none"),
    "HS256 signed with the RSA public key": dict(alg="HS256-with-public-key"),
    "embedded jwk": dict(embed_jwk=True),
    "jku header": dict(header={"jku": "http://127.0.0.1:9/keys"}),
    "x5u header": dict(header={"x5u": "http://127.0.0.1:9/cert"}),
    "x5c header": dict(header={"x5c": ["MIIB"]}),
    "unknown crit": dict(header={"crit": ["urn:example:never"], "urn:example:never": 1}),
    "expired": dict(claims={"exp": int(time.time()) - 600}),
    "not yet valid": dict(claims={"nbf": int(time.time()) + 600}),
    "issued in the future": dict(claims={"iat": int(time.time()) + 600}),
    "wrong issuer": dict(claims={"iss": "https://evil.example"}),
    "wrong audience": dict(claims={"aud": "someone-else"}),
    "no audience": dict(claims={"aud": None}),
    "unknown kid": dict(key="unknown"),
    "tampered signature": dict(tamper="signature"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_are_refused(gh, env, oidc_provider, attack):
    token = oidc_provider.mint(**ATTACKS[attack])
    r = _get(gh, env.org, "/jwt", _bearer(token))
    doc = assert_problem(r, 401)
    assert 'error="invalid_token"' in _challenge(r), r.headers
    assert token not in r.text and token not in r.headers.get("www-authenticate", ""), "the token was echoed"
    assert doc["detail"], doc


def test_oversized_and_doubled_tokens(gh, env, oidc_provider):
    huge = oidc_provider.mint({"padding": "x" * (17 * 1024)})
    for transport in ("h1", "h2"):
        with gh.client(transport) as c:
            # HTTP/2: the edge's 64 KiB header list limit applies once the client has its SETTINGS.
            check(c.get(f"/{env.org}/open"), 200)
            r = c.get(f"/{env.org}/jwt", headers=_bearer(huge))
        assert_problem(r, 401)
        assert 'error="invalid_token"' in _challenge(r)
    two = [("authorization", f"Bearer {oidc_provider.mint()}"), ("authorization", f"Bearer {oidc_provider.mint()}")]
    with gh.client("h1") as c:
        r = c.get(f"/{env.org}/jwt", headers=two)
    assert_problem(r, 400)
    assert 'error="invalid_request"' in _challenge(r)
    r = _get(gh, env.org, "/either", {**_bearer(oidc_provider.mint()), "X-Tenant-Key": env.api_key})
    assert_problem(r, 400)
    assert_problem(_get(gh, env.org, "/jwt", {"Authorization": "Bearer not a token"}), 400)


def test_unknown_kids_do_not_storm_the_provider(gh, env, oidc_provider):
    before = oidc_provider.fetches()["jwks"]
    for _ in range(40):
        assert_problem(_get(gh, env.org, "/jwt", _bearer(oidc_provider.mint(key="unknown"))), 401)
    fetched = oidc_provider.fetches()["jwks"] - before
    # At most one fetch per 30 s refresh interval (the first unknown kid may trigger it).
    assert fetched <= 1, fetched
    check(_get(gh, env.org, "/jwt", _bearer(oidc_provider.mint())), 200)


def test_key_rotation_needs_no_restart(gatehouse_factory, identity_peer_factory, upstream):
    """A token signed with a key the cached set lacks makes the edge fetch the keys again, at most
    once per --key-refresh-seconds; between fetches such tokens are refused, not queued."""
    gh = gatehouse_factory("--key-refresh-seconds", "2", name="gatehouse-rotation")
    idp = identity_peer_factory("oidc")
    org = gh.create_org(uniq("rot"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    _provider(gh, org, "corp", idp.issuer)
    _route(gh, org, "jwt", ["/jwt"], {"mode": "jwt"})
    before_rotation = idp.mint()
    check(_get(gh, org, "/jwt", _bearer(before_rotation)), 200)
    fetched = idp.fetches()["jwks"]
    idp.rotate()
    fresh = idp.mint()
    deadline = time.monotonic() + 10
    while (r := _get(gh, org, "/jwt", _bearer(fresh))).status_code == 401 and time.monotonic() < deadline:
        assert "not in its issuer's key set" in r.json()["detail"], r.text
        time.sleep(0.2)
    check(r, 200)
    assert idp.fetches()["jwks"] - fetched <= 2, idp.fetches()
    # The old key is still published, so tokens signed before the rotation keep working.
    check(_get(gh, org, "/jwt", _bearer(before_rotation)), 200)


def test_no_credential_reaches_the_log(gh, env, oidc_provider):
    token = oidc_provider.mint({"sub": "log-check"})
    check(_get(gh, env.org, "/jwt", _bearer(token)), 200)
    bad = oidc_provider.mint(tamper="signature")
    assert_problem(_get(gh, env.org, "/jwt", _bearer(bad)), 401)
    assert_problem(_get(gh, env.org, "/keys", {"X-Api-Key": env.api_key + "x"}), 401)
    log = gh.log_text()
    for secret in (token, bad, env.api_key, token.split(".")[2], bad.split(".")[2]):
        assert secret not in log, "a credential was logged"


# --- service accounts presenting their own assertions ----------------------------------------------


def _service_account(gh, org: str, name: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc.jwk import ECKey

    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    gh.served(gh.api("POST", f"/v1/orgs/{org}/service-accounts", {"name": name, "publicKeys": [{"pem": pem}]}))
    pem_private = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ECKey.import_key(pem_private)


def _assertion(key, org: str, name: str, audience: str, lifetime: int = 600, **claims) -> str:
    now = int(time.time())
    body = {"iss": f"{org}/{name}", "sub": f"{org}/{name}", "aud": audience, "iat": now, "exp": now + lifetime,
            "jti": uniq("jti"), **claims}
    return jwt.encode({"alg": "ES256", "typ": "JWT"}, body, key)


def test_a_service_account_may_present_its_own_assertion(gh, env, upstream):
    key = _service_account(gh, env.org, "deployer")
    token = _assertion(key, env.org, "deployer", gh.admin_url)
    for _ in range(2):  # reusable until it expires: it is a bearer credential here, not a grant
        seen = check(_get(gh, env.org, "/jwt", _bearer(token)), 200).json()["headers"]
        claims = jwt.decode(seen["x-gatehouse-identity"], _jwks(gh), algorithms=["ES256"]).claims
        assert (claims["kind"], claims["sub"], claims["idp"]) == ("service-account", f"{env.org}/deployer", "gatehouse"), claims
    # Meant for the token endpoint, too long-lived, unknown, or wrongly signed: refused.
    for bad in (
        _assertion(key, env.org, "deployer", f"{gh.admin_url}/auth/token"),
        _assertion(key, env.org, "deployer", gh.admin_url, lifetime=2 * 3600),
        _assertion(key, env.org, "nobody", gh.admin_url),
        _assertion(_service_account(gh, env.org, "other"), env.org, "deployer", gh.admin_url),
    ):
        assert_problem(_get(gh, env.org, "/jwt", _bearer(bad)), 401)
    # A route that names its own audiences wants an exchanged token, not the assertion.
    assert_problem(_get(gh, env.org, "/aud", _bearer(token)), 401)
    # Another org's route: the account is not its own.
    other = gh.create_org(uniq("sa-b"))
    gh.create_function(other, "fn", f"{upstream.url}/base")
    _route(gh, other, "jwt", ["/jwt"], {"mode": "jwt"})
    assert_problem(_get(gh, other, "/jwt", _bearer(token)), 401)


# --- GitHub tokens as bearer tokens ------------------------------------------------------------------


def test_github_tokens_are_checked_with_github_and_remembered(gh, upstream, github_api):
    app = github_api.app()
    org = gh.create_org(uniq("gh"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "gh", "type": "github",
        "github": {"clientId": app["client_id"], "clientSecret": app["client_secret"], "baseUrl": github_api.api_url,
                   "allowedOrganizations": ["acme"], "acceptBearerTokens": True, "tokenCacheSeconds": 60}}))
    _route(gh, org, "jwt", ["/jwt"], {"mode": "jwt"})
    _route(gh, org, "eng", ["/eng"], {"mode": "jwt", "groups": ["github-team:acme/eng"]})
    _route(gh, org, "corp-only", ["/corp-only"], {"mode": "jwt", "providers": ["gatehouse"]})

    alice = github_api.token_for("alice", ["read:org"], client_id=app["client_id"])
    github_api.requests(clear=True)
    seen = check(_get(gh, org, "/jwt", _bearer(alice)), 200).json()["headers"]
    claims = jwt.decode(seen["x-gatehouse-identity"], _jwks(gh), algorithms=["ES256"]).claims
    assert (claims["sub"], claims["idp"], claims["kind"]) == ("1001", "gh", "user"), claims
    assert {"github-org:acme", "github-team:acme/eng"} <= set(claims["groups"]), claims
    paths = [r["path"] for r in github_api.requests()]
    assert f"/api/v3/applications/{app['client_id']}/token" in paths, paths
    assert all(alice not in json.dumps(r) for r in github_api.requests()), "the stand-in's log shows tokens"
    # Remembered for tokenCacheSeconds on each event loop: a few more calls, at most one more check per loop.
    github_api.requests(clear=True)
    for _ in range(6):
        check(_get(gh, org, "/eng", _bearer(alice)), 200)
    checks = [r for r in github_api.requests() if r["path"].endswith("/token")]
    assert len(checks) <= 2, checks
    assert_problem(_get(gh, org, "/corp-only", _bearer(alice)), 403)

    # A personal token of the same user, not issued to this app; a user outside the allowed
    # orgs; a made-up token (remembered as refused, so replaying it costs GitHub nothing).
    personal = github_api.token_for("alice", ["read:org"])
    assert "OAuth app" in assert_problem(_get(gh, org, "/jwt", _bearer(personal)), 401)["detail"]
    bob = github_api.token_for("bob", ["read:org"], client_id=app["client_id"])
    assert_problem(_get(gh, org, "/jwt", _bearer(bob)), 401)
    made_up = "gho_" + "x" * 36
    assert_problem(_get(gh, org, "/jwt", _bearer(made_up)), 401)
    github_api.requests(clear=True)
    with gh.client("h2") as c:  # one connection: one event loop, which remembers the refusal
        for _ in range(5):
            assert_problem(c.get(f"/{org}/jwt", headers=_bearer(made_up)), 401)
    assert len([r for r in github_api.requests() if r["path"].endswith("/token")]) <= 1
    # Turning GitHub tokens off takes effect at once, remembered holders included.
    updated = check(gh.api("PUT", f"/v1/orgs/{org}/identity-providers/gh", {
        "name": "gh", "type": "github",
        "github": {"clientId": app["client_id"], "baseUrl": github_api.api_url, "allowedOrganizations": ["acme"],
                   "acceptBearerTokens": False}}), 200).json()
    gh.wait_for_revision(updated["revision"])
    assert_problem(_get(gh, org, "/jwt", _bearer(alice)), 401)


def test_entra_id_tokens_map_groups_and_roles(gh, upstream, identity_peer_factory):
    """An azure-ad provider trusts `{baseUrl}/{tenant}/v2.0`: here a real OIDC provider serving
    Entra ID's layout under that path."""
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    idp = identity_peer_factory("oidc", None, "--issuer-path", f"/{tenant}/v2.0")
    assert idp.issuer.endswith(f"/{tenant}/v2.0"), idp.issuer
    org = gh.create_org(uniq("entra"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "entra", "type": "azure-ad",
        "azureAd": {"tenant": tenant, "clientId": "gatehouse", "baseUrl": idp.issuer[: -len(f"/{tenant}/v2.0")]}}))
    _route(gh, org, "admins", ["/admins"], {"mode": "jwt", "groups": ["Orders.Admin"]})
    token = idp.mint({"sub": "4f1c-oid", "groups": ["8a7e-guid"], "roles": ["Orders.Admin"]})
    seen = check(_get(gh, org, "/admins", _bearer(token)), 200).json()["headers"]
    claims = jwt.decode(seen["x-gatehouse-identity"], _jwks(gh), algorithms=["ES256"]).claims
    assert (claims["sub"], claims["idp"]) == ("4f1c-oid", "entra"), claims
    assert claims["groups"] == ["8a7e-guid", "Orders.Admin"], claims
    assert_problem(_get(gh, org, "/admins", _bearer(idp.mint({"groups": ["8a7e-guid"]}))), 403)
    # Group overage: Entra ID says the groups did not fit in the token; the refusal says so.
    overage = idp.mint({"groups": None, "hasgroups": True})
    assert "overage" in assert_problem(_get(gh, org, "/admins", _bearer(overage)), 403)["detail"]
    # Another tenant's token (same keys, other issuer) is not this provider's.
    other = idp.mint({"iss": idp.issuer.replace(tenant, "00000000-0000-0000-0000-000000000000")})
    assert_problem(_get(gh, org, "/admins", _bearer(other)), 401)
