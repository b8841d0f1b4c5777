"""Gatehouse as a token issuer: the public OIDC discovery document and JWKS on the control
listener, its signing keys persisted (sealed) across restarts."""

from __future__ import annotations

import json
import stat

import httpx

from harness import check, ssl_context


def _get(gh, path: str) -> httpx.Response:
    return httpx.get(f"{gh.admin_url}{path}", verify=ssl_context(gh.ca), timeout=10)


def test_discovery_names_the_control_listener_as_issuer(gatehouse):
    r = _get(gatehouse, "/.well-known/openid-configuration")
    check(r, 200)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    doc = r.json()
    assert doc["issuer"] == gatehouse.admin_url, doc
    assert doc["jwks_uri"] == f"{gatehouse.admin_url}/.well-known/jwks.json", doc
    assert doc["token_endpoint"].startswith(f"{gatehouse.admin_url}/auth/"), doc
    assert "ES256" in doc["id_token_signing_alg_values_supported"], doc
    assert "urn:ietf:params:oauth:grant-type:jwt-bearer" in doc["grant_types_supported"], doc
    assert "urn:ietf:params:oauth:grant-type:device_code" in doc["grant_types_supported"], doc


def test_jwks_publishes_public_keys_only_and_needs_no_token(gatehouse):
    r = _get(gatehouse, "/.well-known/jwks.json")
    check(r, 200)
    assert "max-age=" in r.headers.get("cache-control", ""), r.headers
    keys = r.json()["keys"]
    assert len(keys) >= 1, keys
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256", key
        assert key["kid"] and key["x"] and key["y"], key
        assert "d" not in key, "a private key member was published"


def test_signing_keys_survive_a_restart_sealed_and_private(gatehouse):
    before = {k["kid"] for k in _get(gatehouse, "/.well-known/jwks.json").json()["keys"]}
    files = [p for p in gatehouse.data_dir.iterdir() if "signing" in p.name]
    assert files, list(gatehouse.data_dir.iterdir())
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
        raw = path.read_bytes()
        # Sealed: no JSON key material in the clear.
        assert b'"d"' not in raw and b"PRIVATE KEY" not in raw, "signing key stored in the clear"
    gatehouse.restart()
    after = {k["kid"] for k in _get(gatehouse, "/.well-known/jwks.json").json()["keys"]}
    assert before == after, (before, after)


def test_well_known_paths_refuse_other_methods(gatehouse):
    r = httpx.post(f"{gatehouse.admin_url}/.well-known/jwks.json", verify=ssl_context(gatehouse.ca), timeout=10)
    assert r.status_code == 405, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    json.loads(r.text)


def test_rotation_keeps_tokens_in_flight_valid(gatehouse, upstream):
    """A service account's token from before a rotation (CLI) and one from after it both open a
    route at the edge; the functions' identity tokens are then signed with the new key."""
    import subprocess
    import time

    from harness import gatehouse_bin, uniq
    from test_token_endpoint import assertion, exchange, new_key

    gh = gatehouse
    org = gh.create_org(uniq("rot"))
    key, pem = new_key()
    check(gh.api("POST", f"/v1/orgs/{org}/service-accounts", {"name": "ci", "publicKeys": [{"pem": pem}]}), 201)
    gh.create_function(org, "fn", f"{upstream.url}/base")
    gh.served(gh.api("POST", f"/v1/orgs/{org}/routes", {"name": "r", "function": "fn", "paths": ["/r"], "auth": {"mode": "jwt"}}))

    def token() -> str:
        return check(exchange(gh, {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": assertion(gh, org, "ci", key)}), 200).json()["access_token"]

    def header(jwt: str) -> dict:
        import base64
        part = jwt.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    before = token()
    listed = check(gh.api("GET", "/v1/signing-keys"), 200).json()["items"]
    assert [k["status"] for k in listed] == ["current"] and listed[0]["keyId"] == header(before)["kid"], listed

    env = {"PATH": "/usr/bin:/bin", "HOME": str(gh.data_dir), "GATEHOUSE_SERVER": gh.admin_url,
           "GATEHOUSE_TOKEN": gh.token, "GATEHOUSE_CACERT": str(gh.ca)}
    p = subprocess.run([str(gatehouse_bin()), "signing-key", "rotate", "-o", "json"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    rotated = json.loads(p.stdout)
    assert [k["status"] for k in rotated] == ["current", "retired"], rotated
    assert rotated[1]["keyId"] == listed[0]["keyId"] and rotated[1]["publishedUntil"] > rotated[1]["retiredAt"], rotated
    published = {k["kid"] for k in _get(gh, "/.well-known/jwks.json").json()["keys"]}
    assert published == {k["keyId"] for k in rotated}, published

    after = token()
    assert header(after)["kid"] == rotated[0]["keyId"] != header(before)["kid"]
    with gh.client("h2") as c:
        for _ in range(100):  # the route reaches the edge within milliseconds
            if c.get(f"/{org}/r", headers={"Authorization": f"Bearer {before}"}).status_code != 404:
                break
            time.sleep(0.02)
        for t in (before, after):
            seen = check(c.get(f"/{org}/r", headers={"Authorization": f"Bearer {t}"}), 200).json()["headers"]
            assert header(seen["x-gatehouse-identity"])["kid"] == rotated[0]["keyId"]
    p = subprocess.run([str(gatehouse_bin()), "signing-key", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and "retired" in p.stdout and "KEY ID" in p.stdout, (p.stdout, p.stderr)
    assert check(gh.api("POST", "/v1/signing-keys"), 405)
