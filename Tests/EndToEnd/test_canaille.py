"""Gatehouse against a second, independent OpenID provider nobody here wrote: Canaille, run by
the `pytest-iam` plugin (its `iam_server` fixture serves Canaille on a local port in a thread).
Canaille registers clients for `client_secret_basic` by default, sends RFC 9207 `iss`, sends
groups only with the `groups` scope, has an `end_session_endpoint`, and issues opaque access
tokens — so its ID tokens are what a careless gateway would accept as bearer tokens (issue 14)."""

from __future__ import annotations

import datetime
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from harness import assert_problem, check, ssl_context, uniq
from login_flow import browser, to_callback, with_query
from identity_peers import pkce_pair

DIRECT_REDIRECT = "https://127.0.0.1:1/direct/callback"  # for tokens fetched by the test itself


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory(name="gatehouse-canaille")


@pytest.fixture(scope="module")
def canaille(iam_server, gh):
    """alice (in group eng) signed in at Canaille, and the orgs whose clients are registered there."""
    orgs = {kind: uniq(f"canaille-{kind}") for kind in ("basic", "pkjwt", "shared")}
    keys = check(httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca)), 200).json()
    with iam_server.app.app_context():
        alice = iam_server.random_user(user_name="alice", emails=["alice@example.com"], formatted_name="Alice Liddell",
                                       given_name="Alice", family_name="Liddell", display_name="Alice Liddell")
        iam_server.random_group(display_name="eng", members=[alice])

        def client(client_id: str, org: str, **fields):
            c = iam_server.models.Client(
                client_id=client_id, client_secret=f"{client_id}-secret", client_name=client_id,
                client_id_issued_at=datetime.datetime.now(datetime.UTC),
                redirect_uris=[f"{gh.admin_url}/auth/{org}/{client_id}/callback", DIRECT_REDIRECT],
                post_logout_redirect_uris=[f"{gh.admin_url}/auth/signed-in"],
                grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                scope=["openid", "profile", "email", "groups"], **fields)
            iam_server.backend.save(c)
            c.audience = [c]
            iam_server.backend.save(c)
            iam_server.consent(alice, c)
            return c

        client("web", orgs["basic"], token_endpoint_auth_method="client_secret_basic")
        # Logins Gatehouse refuses leave their codes unexchanged; Canaille's in-memory backend
        # (pytest-iam's) ORs the filters of a query, so a later exchange for the same client could
        # find such a code first: refused logins get a client of their own.
        client("mixup", orgs["basic"], token_endpoint_auth_method="client_secret_basic")
        client("keyed", orgs["pkjwt"], token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(keys))
        client("web-app", orgs["shared"], token_endpoint_auth_method="client_secret_basic")
        client("cli-app", orgs["shared"], token_endpoint_auth_method="client_secret_basic")
    iam_server.login(alice)
    issuer = iam_server.url.rstrip("/")
    for kind, org in orgs.items():
        gh.create_org(org)
    yield {"issuer": issuer, "orgs": orgs, "server": iam_server}
    iam_server.logout()


def _provider(gh, org: str, name: str, issuer: str, **oidc) -> None:
    block = {"issuer": issuer, "clientId": name, **oidc}
    written = check(gh.api("PUT", f"/v1/orgs/{org}/identity-providers/{name}", {"name": name, "type": "oidc", "oidc": block}), 200, 201)
    gh.wait_for_revision(written.json()["revision"])







def test_basic_login_groups_only_with_the_groups_scope_and_rfc_9207(gh, canaille):
    org, issuer = canaille["orgs"]["basic"], canaille["issuer"]
    # Canaille's default scopes send no groups: the README says to add `groups`.
    _provider(gh, org, "web", issuer, clientSecret="web-secret")
    with browser(gh) as b:
        callback = to_callback(b, gh, org, "web")
        assert parse_qs(urlsplit(callback).query)["iss"] == [issuer], callback
        r = check(b.get(callback), 303)
        assert r.headers["location"] == "/auth/signed-in"
        session = check(b.get(f"{gh.admin_url}/auth/session"), 200).json()
        assert session["subject"] == "alice" and session["email"] == "alice@example.com", session
        assert session["groups"] == [], session
        assert "Signed in as" in check(b.get(f"{gh.admin_url}/auth/signed-in"), 200).text
    _provider(gh, org, "web", issuer, scopes=["openid", "email", "profile", "groups"])
    with browser(gh) as b:
        check(b.get(to_callback(b, gh, org, "web")), 303)
        assert check(b.get(f"{gh.admin_url}/auth/session"), 200).json()["groups"] == ["eng"]
    # The mix-up defence: Canaille promises `iss`, so a callback without it, or with another, fails.
    _provider(gh, org, "mixup", issuer, clientSecret="mixup-secret")
    for iss in (None, "https://evil.example"):
        with browser(gh) as b:
            r = assert_problem(b.get(with_query(to_callback(b, gh, org, "mixup"), iss=iss)), 401)
            assert "RFC 9207" in r["detail"], r


def test_private_key_jwt_login(gh, canaille):
    org = canaille["orgs"]["pkjwt"]
    _provider(gh, org, "keyed", canaille["issuer"], tokenEndpointAuthMethod="private_key_jwt")
    with browser(gh) as b:
        check(b.get(to_callback(b, gh, org, "keyed", return_to="/done")), 303)
        assert check(b.get(f"{gh.admin_url}/auth/session"), 200).json()["subject"] == "alice"


def test_rp_initiated_logout_goes_to_canailles_end_session_endpoint(gh, canaille):
    org, issuer = canaille["orgs"]["basic"], canaille["issuer"]
    _provider(gh, org, "web", issuer, clientSecret="web-secret")
    with browser(gh) as b:
        check(b.get(to_callback(b, gh, org, "web")), 303)
        r = check(b.post(f"{gh.admin_url}/auth/logout", params={"provider_logout": "true"},
                         headers={"Origin": gh.admin_url}), 303)
        target = urlsplit(r.headers["location"])
        discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
        assert f"{target.scheme}://{target.netloc}{target.path}" == discovery["end_session_endpoint"], r.headers
        assert parse_qs(target.query)["post_logout_redirect_uri"] == [f"{gh.admin_url}/auth/signed-in"]
        assert_problem(b.get(f"{gh.admin_url}/auth/session"), 401)


def _id_token(issuer: str, client_id: str) -> str:
    """An ID token for alice, fetched the way any relying party of `client_id` would."""
    verifier, challenge = pkce_pair()
    with httpx.Client(base_url=issuer, timeout=15, follow_redirects=False) as c:
        r = c.get("/oauth/authorize", params={
            "response_type": "code", "client_id": client_id, "redirect_uri": DIRECT_REDIRECT,
            "scope": "openid email groups", "state": "s", "nonce": uniq("n"), "code_challenge": challenge,
            "code_challenge_method": "S256"})
        assert r.status_code in (302, 303), (r.status_code, r.text[:500])
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        r = c.post("/oauth/token", auth=(client_id, f"{client_id}-secret"), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": DIRECT_REDIRECT,
            "code_verifier": verifier})
        return check(r, 200).json()["id_token"]


def test_two_clients_at_one_issuer_and_id_tokens_at_the_edge(gh, canaille, upstream):
    org, issuer = canaille["orgs"]["shared"], canaille["issuer"]
    gh.create_function(org, "fn", f"{upstream.url}/base")
    for name in ("web-app", "cli-app"):
        _provider(gh, org, name, issuer)
    routes = {"api": {"mode": "jwt"}, "ids": {"mode": "jwt", "acceptIdTokens": True},
              "web-ids": {"mode": "jwt", "acceptIdTokens": True, "providers": ["web-app"]}}
    for name, auth in routes.items():
        gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": name, "function": "fn", "paths": [f"/{name}"], "auth": auth}))
    keys = check(httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca)), 200).json()
    from joserfc import jwt
    from joserfc.jwk import KeySet
    with gh.client("h2") as edge:
        for client_id in ("web-app", "cli-app"):
            bearer = {"Authorization": f"Bearer {_id_token(issuer, client_id)}"}
            r = assert_problem(edge.get(f"/{org}/api", headers=bearer), 401)
            assert "ID token" in r["detail"], r
            seen = check(edge.get(f"/{org}/ids", headers=bearer), 200).json()["headers"]
            identity = jwt.decode(seen["x-gatehouse-identity"], KeySet.import_key_set(keys), algorithms=["ES256"]).claims
            assert identity["idp"] == client_id and identity["sub"] == "alice", identity
            check(edge.get(f"/{org}/web-ids", headers=bearer), 200 if client_id == "web-app" else 403)
    assert "is already trusted through provider" not in gh.log_text()
