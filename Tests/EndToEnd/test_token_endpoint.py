"""`POST /auth/token` with the jwt-bearer grant (RFC 7523): a service account signs an assertion
with its registered key and exchanges it for a Gatehouse access token, verified here against
Gatehouse's own JWKS. The attacks: a replayed `jti`, `exp` more than an hour ahead, the wrong
`aud`, another account's key, an unknown account, and malformed requests — each an RFC 6749
§5.2 error, never a token."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from harness import check, ssl_context, uniq

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture(scope="module")
def gh(shared_gatehouse):
    return shared_gatehouse


def new_key() -> tuple[ECKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    key = ECKey.import_key(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return key, pem.decode()


def account(gh) -> tuple[str, str, ECKey]:
    org = gh.create_org(uniq("sa"))
    key, pem = new_key()
    check(gh.api("POST", f"/v1/orgs/{org}/service-accounts", {"name": "ci", "publicKeys": [{"pem": pem}]}), 201)
    return org, "ci", key


def assertion(gh, org: str, name: str, key: ECKey, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": f"{org}/{name}", "sub": f"{org}/{name}", "aud": f"{gh.admin_url}/auth/token",
              "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    claims.update(overrides)
    return jwt.encode({"alg": "ES256", "typ": "JWT"}, {k: v for k, v in claims.items() if v is not None}, key)


def exchange(gh, data: dict | None = None, **kwargs) -> httpx.Response:
    with httpx.Client(verify=ssl_context(gh.ca), timeout=15) as c:
        return c.post(f"{gh.admin_url}/auth/token", data=data, **kwargs)


def oauth_error(r: httpx.Response, code: str, status: int = 400) -> dict:
    assert r.status_code == status, f"{r.status_code}: {r.text[:400]}"
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert r.headers["cache-control"] == "no-store", r.headers
    doc = r.json()
    assert doc["error"] == code, doc
    assert isinstance(doc.get("error_description"), str), doc
    assert "access_token" not in doc
    return doc


def test_a_service_account_exchanges_its_assertion_for_a_verifiable_token(gh):
    org, name, key = account(gh)
    r = check(exchange(gh, {"grant_type": JWT_BEARER, "assertion": assertion(gh, org, name, key), "scope": "deploy read"}), 200)
    assert r.headers["cache-control"] == "no-store"
    doc = r.json()
    assert doc["token_type"] == "Bearer" and 0 < doc["expires_in"] <= 3600 and doc["scope"] == "deploy read", doc
    jwks = KeySet.import_key_set(httpx.get(f"{gh.admin_url}/.well-known/jwks.json", verify=ssl_context(gh.ca)).json())
    token = jwt.decode(doc["access_token"], jwks, algorithms=["ES256"])
    c = token.claims
    assert token.header["typ"] == "at+jwt", token.header
    assert c["iss"] == gh.admin_url and c["aud"] == gh.admin_url, c
    assert c["sub"] == f"{org}/{name}" and c["org"] == org and c["kind"] == "service-account", c
    assert c["scope"] == "deploy read" and c["exp"] - c["iat"] == doc["expires_in"], c


def test_a_replayed_assertion_is_refused(gh):
    org, name, key = account(gh)
    signed = assertion(gh, org, name, key)
    check(exchange(gh, {"grant_type": JWT_BEARER, "assertion": signed}), 200)
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": signed}), "invalid_grant")


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) + 3 * 3600},          # more than an hour ahead
    {"aud": "https://elsewhere.example/token"},    # for another token endpoint
    {"exp": int(time.time()) - 600},               # expired
    {"jti": None},                                 # no replay protection
    {"sub": "other/account"},                      # asserting someone else
], ids=["exp-over-1h", "wrong-aud", "expired", "no-jti", "sub-differs"])
def test_bad_assertions_are_invalid_grants(gh, overrides):
    org, name, key = account(gh)
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": assertion(gh, org, name, key, **overrides)}), "invalid_grant")


def test_another_accounts_key_or_an_unknown_account_is_refused(gh):
    org, name, _ = account(gh)
    stranger, _ = new_key()
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": assertion(gh, org, name, stranger)}), "invalid_grant")
    other_org, other_name, other_key = account(gh)
    # A valid assertion of one account that claims to be another (its own key cannot verify it).
    forged = assertion(gh, org, name, other_key)
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": forged}), "invalid_grant")
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": assertion(gh, other_org, "ghost", other_key)}), "invalid_grant")


def test_malformed_requests_are_oauth_errors(gh):
    oauth_error(exchange(gh, {"assertion": "x"}), "invalid_request")
    oauth_error(exchange(gh, {"grant_type": "password", "username": "a", "password": "b"}), "unsupported_grant_type")
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER}), "invalid_request")
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": "not.a.jwt"}), "invalid_grant")
    oauth_error(exchange(gh, json={"grant_type": JWT_BEARER, "assertion": "x"}), "invalid_request")
    oauth_error(exchange(gh, content=f"grant_type={JWT_BEARER}&grant_type=x&assertion=y",
                         headers={"content-type": "application/x-www-form-urlencoded"}), "invalid_request")
    org, name, key = account(gh)
    oauth_error(exchange(gh, {"grant_type": JWT_BEARER, "assertion": assertion(gh, org, name, key), "scope": 'a"b'}), "invalid_scope")
    with httpx.Client(verify=ssl_context(gh.ca), timeout=15) as c:
        r = c.get(f"{gh.admin_url}/auth/token")
        assert r.status_code == 405 and "POST" in r.headers.get("allow", ""), r.text
