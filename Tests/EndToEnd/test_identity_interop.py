"""Identity interop with providers Gatehouse did not write (issue 14), against the real Authlib
provider configured as third-party providers are: a token endpoint that accepts only
client_secret_basic, only client_secret_post or only private_key_jwt; two client registrations
at one issuer; RFC 9207 `iss` in authorization responses; ID tokens offered as bearer tokens;
what signing out ends (Gatehouse tokens minted from the session, the provider's session through
RP-Initiated Logout); and where a login without `return_to` lands."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from harness import assert_problem, check, ssl_context, uniq
from login_flow import browser, to_callback, with_query
from identity_peers import OIDC_CONFIG, pkce_pair, start_peer

CALLBACKS = ["https://127.0.0.1:*/auth/*/*/callback"]


def _client(client_id: str, methods: list[str], **extra) -> dict:
    return {"client_id": client_id, "client_secret": f"{client_id}-secret", "redirect_uris": CALLBACKS,
            "audience": client_id, "token_endpoint_auth_methods": methods, **extra}


@pytest.fixture(scope="module")
def gh(gatehouse_factory):
    return gatehouse_factory(name="gatehouse-interop")


def _provider_peer(tmp_path_factory, label: str, clients: list[dict], **config):
    doc = {**json.loads(json.dumps(OIDC_CONFIG)), "clients": clients, **config}
    return start_peer("oidc", tmp_path_factory.mktemp(f"peer-interop-{label}"), doc)


@pytest.fixture(scope="module")
def idp(gh, tmp_path_factory):
    """Clients limited to one method each; `pkjwt` trusts Gatehouse's published JWKS."""
    peer = _provider_peer(tmp_path_factory, "methods", [
        _client("basic-only", ["client_secret_basic"]),
        _client("post-only", ["client_secret_post"]),
        _client("pkjwt", ["private_key_jwt"], jwks_uri=f"{gh.admin_url}/.well-known/jwks.json", jwks_ca=str(gh.ca)),
        _client("either", ["client_secret_basic", "client_secret_post"]),
    ])
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def post_only_idp(tmp_path_factory):
    """A provider whose discovery document offers only client_secret_post."""
    peer = _provider_peer(tmp_path_factory, "post", [_client("web", ["client_secret_post"])],
                          discovery={"token_endpoint_auth_methods_supported": ["client_secret_post"]})
    yield peer
    peer.close()


@pytest.fixture(scope="module")
def iss_idp(tmp_path_factory):
    """A provider that sends RFC 9207 `iss` and says so in discovery."""
    peer = _provider_peer(tmp_path_factory, "iss", [_client("web", ["client_secret_basic"])], response_iss=True)
    yield peer
    peer.close()


def _org_with(gh, idp, client_id: str, **oidc) -> str:
    org = gh.create_org(uniq("interop"))
    block = {"issuer": idp.issuer, "clientId": client_id, **oidc}
    if "clientSecret" not in block and oidc.get("tokenEndpointAuthMethod") != "private_key_jwt":
        block["clientSecret"] = f"{client_id}-secret"
    gh.served(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {"name": "corp", "type": "oidc", "oidc": block}))
    return org



def _to_callback(b: httpx.Client, gh, org: str, **params) -> str:
    return to_callback(b, gh, org, "corp", **{"login_hint": "alice", **params})




def _login(b: httpx.Client, gh, org: str, **params) -> httpx.Response:
    return b.get(_to_callback(b, gh, org, **params))


# --- 1. client authentication at the token endpoint ---------------------------------------------


@pytest.mark.parametrize("client_id, setting, method", [
    ("basic-only", None, "client_secret_basic"),  # the default when discovery allows it
    ("either", None, "client_secret_basic"),
    ("post-only", "client_secret_post", "client_secret_post"),
    ("pkjwt", "private_key_jwt", "private_key_jwt"),  # signed with Gatehouse's key, no secret at all
])
def test_each_client_authentication_method_signs_in(gh, idp, client_id, setting, method):
    oidc = {"tokenEndpointAuthMethod": setting} if setting else {}
    org = _org_with(gh, idp, client_id, **oidc)
    doc = check(gh.api("GET", f"/v1/orgs/{org}/identity-providers/corp"), 200).json()
    assert doc["oidc"].get("tokenEndpointAuthMethod") == setting, doc
    before = len(idp.requests()["token_auth_methods"])
    with browser(gh) as b:
        r = check(_login(b, gh, org, return_to="/done"), 303)
        assert r.headers["location"] == "/done"
        assert check(b.get(f"{gh.admin_url}/auth/session"), 200).json()["subject"] == "alice"
    assert idp.requests()["token_auth_methods"][before:] == [method]


def test_a_method_the_client_is_not_registered_for_is_refused_by_the_provider(gh, idp):
    org = _org_with(gh, idp, "basic-only", tokenEndpointAuthMethod="client_secret_post")
    with browser(gh) as b:
        r = assert_problem(_login(b, gh, org), 401)
        assert "invalid_client" in r["detail"], r


def test_discovery_offering_only_post_is_followed(gh, post_only_idp):
    org = _org_with(gh, post_only_idp, "web")
    with browser(gh) as b:
        check(_login(b, gh, org), 303)
    assert post_only_idp.requests()["token_auth_methods"][-1:] == ["client_secret_post"]


def test_the_auth_method_setting_is_validated(gh, idp):
    org = gh.create_org(uniq("interop-bad"))
    r = gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "corp", "type": "oidc",
        "oidc": {"issuer": idp.issuer, "clientId": "x", "tokenEndpointAuthMethod": "client_secret_jwt"}})
    problem = assert_problem(r, 400)
    assert "tokenEndpointAuthMethod" in json.dumps(problem) and "private_key_jwt" in problem["detail"], problem


# --- 3. RFC 9207 --------------------------------------------------------------------------------


def test_a_callback_iss_of_another_issuer_is_refused(gh, idp):
    org = _org_with(gh, idp, "either")
    with browser(gh) as b:
        callback = _to_callback(b, gh, org)
        r = assert_problem(b.get(with_query(callback, iss="https://evil.example")), 401)
        assert "RFC 9207" in r["detail"], r
    with browser(gh) as b:
        callback = _to_callback(b, gh, org)
        check(b.get(with_query(callback, iss=idp.issuer)), 303)


def test_a_provider_that_promises_iss_must_send_it(gh, iss_idp):
    org = _org_with(gh, iss_idp, "web")
    with browser(gh) as b:
        callback = _to_callback(b, gh, org)
        assert parse_qs(urlsplit(callback).query)["iss"] == [iss_idp.issuer], callback
        check(b.get(callback), 303)
    with browser(gh) as b:
        stripped = with_query(_to_callback(b, gh, org), iss=None)
        r = assert_problem(b.get(stripped), 401)
        assert "has no 'iss'" in r["detail"], r


# --- 6. landing ---------------------------------------------------------------------------------


def test_a_login_without_return_to_lands_on_the_signed_in_page(gh, idp):
    org = _org_with(gh, idp, "either")
    with browser(gh) as b:
        r = check(_login(b, gh, org), 303)
        assert r.headers["location"] == "/auth/signed-in"
        page = check(b.get(f"{gh.admin_url}/auth/signed-in"), 200)
        assert page.headers["content-type"].startswith("text/html")
        text = page.text
        assert "Signed in as Alice Liddell (alice)" in text and "alice@example.com" in text, text
        assert "eng, ops" in text and org in text and "corp" in text, text
        check(b.post(f"{gh.admin_url}/auth/logout", headers={"Origin": gh.admin_url}), 204)
        assert "Not signed in" in check(b.get(f"{gh.admin_url}/auth/signed-in"), 200).text


# --- 5. what logout ends --------------------------------------------------------------------------


def test_logout_ends_the_tokens_minted_from_the_session(gh, idp, upstream):
    org = _org_with(gh, idp, "either")
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {
        "name": "api", "function": "fn", "paths": ["/api"], "auth": {"accept": ["jwt"], "providers": ["gatehouse"]}}))
    gh.bind(org, "developer", "user:alice@example.com")
    with browser(gh) as b:
        check(_login(b, gh, org), 303)
        token = check(b.get(f"{gh.admin_url}/auth/session", headers={"X-Gatehouse-Token-Request": "1"}), 200).json()["accessToken"]
        bearer = {"Authorization": f"Bearer {token}"}
        with gh.client("h2") as edge:
            check(edge.get(f"/{org}/api", headers=bearer), 200)
        admin = httpx.get(f"{gh.admin_url}/v1/orgs/{org}/functions", headers=bearer, verify=ssl_context(gh.ca))
        check(admin, 200)
        check(b.post(f"{gh.admin_url}/auth/logout", headers={"Origin": gh.admin_url}), 204)
    with gh.client("h2") as edge:
        r = assert_problem(edge.get(f"/{org}/api", headers=bearer), 401)
        assert "session" in r["detail"], r
    r = assert_problem(httpx.get(f"{gh.admin_url}/v1/orgs/{org}/functions", headers=bearer, verify=ssl_context(gh.ca)), 401)
    assert "has ended" in r["detail"], r


def test_logout_can_end_the_provider_session_too(gh, idp):
    org = _org_with(gh, idp, "either")
    with browser(gh) as b:
        check(_login(b, gh, org), 303)
        r = check(b.post(f"{gh.admin_url}/auth/logout", params={"provider_logout": "true", "return_to": "/bye"},
                         headers={"Origin": gh.admin_url}), 303)
        target = urlsplit(r.headers["location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{idp.issuer}/logout", r.headers
        assert parse_qs(target.query) == {"client_id": ["either"], "post_logout_redirect_uri": [f"{gh.admin_url}/bye"]}
        assert any(c.startswith("__Host-gatehouse-session=;") for c in r.headers.get_list("set-cookie"))
        back = b.get(r.headers["location"])
        assert back.status_code == 302 and back.headers["location"] == f"{gh.admin_url}/bye", back.headers
        assert_problem(b.get(f"{gh.admin_url}/auth/session"), 401)
    assert idp.requests()["logouts"][-1]["client_id"] == "either"


# --- 2 and 4. the edge: one issuer, several providers; ID tokens ----------------------------------


def _code_flow_tokens(idp, client_id: str) -> dict:
    """The provider's token response for alice, as any other relying party would get it."""
    verifier, challenge = pkce_pair()
    redirect = "https://127.0.0.1:1/auth/x/corp/callback"
    r = idp.http.get("/authorize", params={
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect, "scope": "openid email groups",
        "state": "s", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256",
        "login_hint": "alice"})
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    r = idp.http.post("/token", auth=(client_id, f"{client_id}-secret"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "code_verifier": verifier})
    return check(r, 200).json()


def test_id_tokens_are_not_bearer_credentials_unless_the_route_opts_in(gh, idp, upstream):
    org = gh.create_org(uniq("interop-idt"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
        "name": "corp", "type": "oidc", "oidc": {"issuer": idp.issuer, "clientId": "either"}}))
    for name, auth in {"api": {"mode": "jwt"}, "idt": {"mode": "jwt", "acceptIdTokens": True}}.items():
        gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": name, "function": "fn", "paths": [f"/{name}"], "auth": auth}))
    tokens = _code_flow_tokens(idp, "either")
    with gh.client("h2") as edge:
        r = assert_problem(edge.get(f"/{org}/api", headers={"Authorization": f"Bearer {tokens['id_token']}"}), 401)
        assert "ID token" in r["detail"], r
        check(edge.get(f"/{org}/api", headers={"Authorization": f"Bearer {tokens['access_token']}"}), 200)
        check(edge.get(f"/{org}/idt", headers={"Authorization": f"Bearer {tokens['id_token']}"}), 200)
    bad = gh.api("POST", f"/v1/orgs/{org}/routes", {
        "name": "bad", "function": "fn", "paths": ["/bad"], "auth": {"mode": "session", "acceptIdTokens": True}})
    assert "auth.acceptIdTokens" in json.dumps(assert_problem(bad, 400))


def test_two_providers_on_one_issuer_each_get_their_own_tokens(gh, oidc_provider, upstream):
    org = gh.create_org(uniq("interop-shared"))
    gh.create_function(org, "fn", f"{upstream.url}/base")
    for name in ("cli", "web"):
        gh.served(gh.api("POST", f"/v1/orgs/{org}/identity-providers", {
            "name": name, "type": "oidc", "oidc": {"issuer": oidc_provider.issuer, "clientId": f"{name}-app"}}))
    routes = {"any": {"mode": "jwt"}, "web-only": {"mode": "jwt", "providers": ["web"]},
              "cli-only": {"mode": "jwt", "providers": ["cli"]}}
    for name, auth in routes.items():
        gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": name, "function": "fn", "paths": [f"/{name}"], "auth": auth}))
    web = {"Authorization": "Bearer " + oidc_provider.mint({"aud": "web-app", "sub": "alice"})}
    cli = {"Authorization": "Bearer " + oidc_provider.mint({"aud": "cli-app", "sub": "alice"})}
    other = {"Authorization": "Bearer " + oidc_provider.mint({"aud": "someone-else", "sub": "alice"})}
    keys = httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca)).json()
    from joserfc import jwt
    from joserfc.jwk import KeySet
    with gh.client("h2") as edge:
        for headers, provider in ((web, "web"), (cli, "cli")):
            seen = check(edge.get(f"/{org}/any", headers=headers), 200).json()["headers"]
            identity = jwt.decode(seen["x-gatehouse-identity"], KeySet.import_key_set(keys), algorithms=["ES256"]).claims
            assert identity["idp"] == provider, identity
            check(edge.get(f"/{org}/{provider}-only", headers=headers), 200)
        assert_problem(edge.get(f"/{org}/web-only", headers=cli), 403)
        assert_problem(edge.get(f"/{org}/cli-only", headers=web), 403)
        r = assert_problem(edge.get(f"/{org}/any", headers=other), 401)
        assert "audience" in r["detail"], r
    assert "is already trusted through provider" not in gh.log_text()


def test_the_cli_sets_the_auth_method(gh, idp, tmp_path):
    cli = gh.cli(tmp_path)
    org = gh.create_org(uniq("interop-cli"))
    created = json.loads(cli("identity-provider", "create", "corp", "--org", org, "--type", "oidc",
                             "--issuer", idp.issuer, "--client-id", "pkjwt",
                             "--token-endpoint-auth-method", "private_key_jwt", "-o", "json").stdout)
    assert created["oidc"]["tokenEndpointAuthMethod"] == "private_key_jwt", created
    p = cli("identity-provider", "update", "corp", "--org", org, "--token-endpoint-auth-method", "client_secret_jwt",
            expect=None)
    assert p.returncode != 0 and "client_secret_basic, client_secret_post, private_key_jwt" in p.stderr, p.stderr
    p = cli("identity-provider", "create", "gh", "--org", org, "--type", "github", "--client-id", "x",
            "--token-endpoint-auth-method", "client_secret_post", expect=None)
    assert p.returncode != 0 and "--token-endpoint-auth-method" in p.stderr, p.stderr
