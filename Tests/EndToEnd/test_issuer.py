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
